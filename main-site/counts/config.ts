import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** Delivery counts: how often the main site's own log is counted (partners' shipments are counted as they are accepted). */
export const countsConfig = defineConfigSlice({
  /** Milliseconds between looks at the main site's own signed checkpoints. */
  countsPollMs: intFromString(50, 600_000).default(1000),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof countsConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof countsConfig]> {}
}
