import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** Paid content on the main site: how long a key may wait for its first use, and how long it lives. */
export const paidConfig = defineConfigSlice({
  /** Seconds after issue within which a key's first page must be asked for (seed 【0124】【0125】: processing and transfer take seconds). */
  paidKeyWindowSeconds: intFromString(1, 3600).default(120),
  /** Seconds a per-access key lives after issue (a period item's key lives to the period's end). */
  paidKeyLifetimeSeconds: intFromString(60, 30 * 86400).default(6 * 3600),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof paidConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof paidConfig]> {}
}
