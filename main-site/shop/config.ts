import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { intFromString, defineConfigSlice } from '../../common/config-slice.js';

/** The shop at the main site. */
export const shopConfig = defineConfigSlice({
  /**
   * How long an entrusted order may stay unconfirmed by its partner before it
   * expires (cancelled, stock returned). A partner settles a lost answer within
   * seconds when it can reach the main site, so this only has to outlast a
   * partner's outage: a day by default, at least a minute.
   */
  shopUnconfirmedExpireMs: intFromString(60_000, 90 * 86400_000).default(86400_000),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof shopConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof shopConfig]> {}
}
