import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';
import { z } from 'zod';

/** The main site's ads: lease sizing and lifetime, viewing points, the payment webhook (docs/ads.md, "Configuration"). */
export const adsConfig = defineConfigSlice({
  /** A lease's time to live at the main site (ms); the holder's ends earlier (docs/ads.md). */
  adsLeaseTtlMs: intFromString(500, 3_600_000).default(10_000),
  /** A lease carries this many seconds of deliveries at the site's measured rate. */
  adsLeaseSeconds: intFromString(1, 3600).default(2),
  /** A first lease, before a rate is known. */
  adsLeaseInitial: intFromString(1, 100_000).default(10),
  adsLeaseMax: intFromString(1, 1_000_000).default(1000),
  /** m: one viewing point's value in minor units of the paid content's currency. */
  adsPointValueMinor: intFromString(0, 1_000_000).default(1),
  adsPointsExpiryDays: intFromString(1, 3650).default(90),
  /** HMAC-SHA256 secret of the payment provider's webhook; empty: the webhook is off. */
  adsPaymentSecret: z.string().max(200).default(''),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof adsConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof adsConfig]> {}
}
