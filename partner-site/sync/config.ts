import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString, pathFromString } from '../../common/config-slice.js';
import { watchDebounceMs } from '../../common/sync/config.js';

/** A partner's sync settings: its own pages, and how many releases it keeps. */
export const syncConfig = defineConfigSlice({
  /** The partner's own original pages, which pushes never touch. */
  originalDir: pathFromString('original'),
  /** Releases kept for rollback. */
  keepReleases: intFromString(1, 1000).default(5),
  watchDebounceMs,
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof syncConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof syncConfig]> {}
}
