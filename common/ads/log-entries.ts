import { z } from 'zod';
import { defineEntryType, v1Payload } from '../logchain/entry-types.js';

/**
 * The ads capability's access-log entries. They fit the v1 payload block:
 *   ad       one delivery of an ad, appended by the site that served it at the
 *            moment it served it. path `/ads/<ad id>/<lease id>/<seq>`: the lease
 *            it was served from and its 1-based position in that lease (so a
 *            delivery is named once and can never be counted twice); session
 *            the page it was served on; user the signed-in shopper, if any.
 *   ad_view  main site only: a shopper opened an ad's details through its signed
 *            single-use link and was credited SP points. path as for `ad` (the
 *            delivery clicked), session `<period>/<points>`, user the shopper.
 * The counts capability counts `ad` entries per ad (docs/ads.md, "Entries").
 */
const adPath = z.string().regex(/^\/ads\/[a-z0-9-]{1,64}\/[A-Za-z0-9_-]{1,40}\/\d{1,10}$/);
const none = { kind: z.literal('none'), release: z.null(), bytes: z.literal(0), order: z.null() };

export const adEntry = defineEntryType({ type: 'ad', version: 1, capability: 'ads', payload: v1Payload({ ...none, path: adPath }) });
export const adViewEntry = defineEntryType({ type: 'ad_view', version: 1, capability: 'ads', payload: v1Payload({ ...none, path: adPath }) });

/** The delivery an `ad` or `ad_view` entry names, or undefined for another path. */
export function adDeliveryOf(path: string): { ad: string; lease: string; seq: number } | undefined {
  const m = /^\/ads\/([a-z0-9-]{1,64})\/([A-Za-z0-9_-]{1,40})\/(\d{1,10})$/.exec(path);
  return m ? { ad: m[1]!, lease: m[2]!, seq: Number(m[3]) } : undefined;
}

/**
 * The lease named in the path of a delivery of a partner's own ad (its files, not the main site's advertisers'):
 * the main site's lease ids start with "L" (common/protocol/ads.ts), so it can never be one.
 */
export const OWN_LEASE = 'own';

/** A delivery of the serving site's own ad, not of the main site's ad that may carry the same id. */
export const isOwnDelivery = (d: { lease: string }): boolean => d.lease === OWN_LEASE;

export const adPathOf = (ad: string, lease: string, seq: number): string => `/ads/${ad}/${lease}/${seq}`;
