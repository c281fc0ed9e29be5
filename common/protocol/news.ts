import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { count, isoTime, siteId } from './primitives.js';
import { opaqueId } from './shop.js';

/**
 * News (docs/news.md): opt-in is kept at the main site (the central account);
 * a partner reads and changes its shoppers' setting from their account page,
 * sees how its shoppers responded to every campaign, and, when its contract
 * grants it its shoppers' data (news.shopperData), previews and sends a
 * campaign to its own shoppers. The audience's site is always the caller.
 */

/** A page or product path on the network's sites, which a campaign links to and an audience may require a view of. */
export const newsPath = z
  .string()
  .max(300)
  .regex(/^\/(?![/\\])[\x21-\x7e]*$/, 'a path on the site, starting with "/"');

export const newsCompose = z.strictObject({
  subject: z
    .string()
    .trim()
    .min(1, 'a subject is required')
    .max(200)
    .refine((v) => !/[\r\n\t\v\f\0]/.test(v), 'a subject is one line'),
  text: z.string().trim().min(1, 'a text is required').max(20_000),
  link: newsPath,
});

/** Shoppers who viewed this path (on any site of the network), or everyone opted in. */
export const newsAudienceFilter = z.strictObject({ viewed: newsPath.nullable() });

export const NEWS_CONSENT = defineEndpoint({
  name: 'news.consent',
  method: 'POST',
  path: '/s2s/news/consent',
  // set absent: only read it.
  request: z.strictObject({ userId: opaqueId, set: z.boolean().optional() }),
  response: z.strictObject({ optedIn: z.boolean() }),
  errors: ['shopper_not_found'],
  callers: 'partner',
});

export const NEWS_PREVIEW = defineEndpoint({
  name: 'news.preview',
  method: 'POST',
  path: '/s2s/news/preview',
  request: newsAudienceFilter,
  response: z.strictObject({ count }),
  errors: ['news_not_granted'],
  callers: 'partner',
});

/** key: the partner's idempotency key for this campaign (a retry sends nothing more). */
export const newsSendRequest = newsCompose.extend({ key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'a campaign key is 16-64 base64url characters'), audience: newsAudienceFilter });

export const NEWS_SEND = defineEndpoint({
  name: 'news.send',
  method: 'POST',
  path: '/s2s/news/send',
  request: newsSendRequest,
  response: z.strictObject({ campaign: z.string(), recipients: count, created: z.boolean() }),
  errors: ['news_not_granted', 'invalid_campaign'],
  callers: 'partner',
});

/** One campaign's figures for the shoppers of one site. */
export const newsFigures = z.strictObject({
  campaign: z.string().max(64),
  sender: siteId,
  subject: z.string().max(200),
  link: newsPath,
  createdAt: isoTime,
  sent: count,
  opened: count,
  unsubscribed: count,
});
export type NewsFigures = z.infer<typeof newsFigures>;

export const NEWS_REPORT = defineEndpoint({
  name: 'news.report',
  method: 'POST',
  path: '/s2s/news/report',
  request: z.strictObject({}),
  response: z.strictObject({ granted: z.boolean(), optedIn: count, campaigns: z.array(newsFigures).max(500) }),
  errors: [],
  callers: 'partner',
});
