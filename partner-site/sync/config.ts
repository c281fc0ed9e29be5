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
