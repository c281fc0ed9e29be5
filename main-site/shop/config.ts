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
