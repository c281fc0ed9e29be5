import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../common/planned/index.js';

/** Planned pages on the main site: the largest file a contributor may send. */
export const plannedConfig = defineConfigSlice({
  plannedMaxFileBytes: intFromString(1024, 5 * 1024 * 1024).default(DEFAULT_MAX_FILE_BYTES),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof plannedConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof plannedConfig]> {}
}
