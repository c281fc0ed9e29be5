import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** The coordinator's timing: how long suppliers have to quote and to accept an order. */
export const coordConfig = defineConfigSlice({
  /** Suppliers that have not quoted by then are named and left out (claims 11-12). */
  coordQuoteDeadlineMs: intFromString(100, 60_000).default(2000),
  /** How long a supplier has to accept or refuse an order before it is withdrawn and re-planned. */
  coordAcceptSeconds: intFromString(1, 7 * 86_400).default(900),
  /** How often overdue orders and unsent steps are looked at. */
  coordSweepMs: intFromString(50, 3_600_000).default(1000),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof coordConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof coordConfig]> {}
}
