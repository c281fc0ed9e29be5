import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** The shop on a partner. */
export const shopConfig = defineConfigSlice({
  /** How often the stock of tie-up goods and the shop terms are read from the main site. */
  shopStateMs: intFromString(500, 3600_000).default(15_000),
  /** How often orders whose answer from the main site was lost are settled (asked for by idempotency key) and recorded orders confirmed, in the background. */
  shopSettleMs: intFromString(1000, 3600_000).default(30_000),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof shopConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof shopConfig]> {}
}
