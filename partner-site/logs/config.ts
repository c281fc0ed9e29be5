import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** Shipping a partner's access log to the main site. */
export const logsConfig = defineConfigSlice(
  {
    /** How often new entries are shipped. */
    logShipMs: intFromString(100, 3600_000).default(1000),
    /** Entries per shipment. */
    logShipBatch: intFromString(1, 5000).default(2000),
  },
  // Every shipment ends at a signed checkpoint, so one must fall within each batch.
  (c) =>
    c.logCheckpointEntries > c.logShipBatch
      ? [`TIEUP_LOG_CHECKPOINT_ENTRIES (${c.logCheckpointEntries}) must not exceed TIEUP_LOG_SHIP_BATCH (${c.logShipBatch}): every shipment ends at a signed checkpoint`]
      : [],
);

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof logsConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof logsConfig]> {}
}
