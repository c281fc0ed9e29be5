import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { z } from 'zod';
import { boolFromString, defineConfigSlice, intFromString, pathFromString } from '../../common/config-slice.js';
import { watchDebounceMs } from '../../common/sync/config.js';

/** The main site's sync settings: where releases are built from, and how pushes run. */
export const syncConfig = defineConfigSlice({
  /** The content folder (pages/, assets/, catalog/). */
  contentDir: pathFromString('content'),
  /** The brand framework folder, which travels in releases. */
  templatesDir: pathFromString('templates'),
  /** Pushes running at once. */
  pushConcurrency: intFromString(1, 256).default(4),
  /** Attempts before a partner shows as failing. */
  pushMaxAttempts: intFromString(1, 100).default(5),
  /** The first retry delay (doubles, with jitter, capped). */
  pushRetryBaseMs: intFromString(10, 3600_000).default(2000),
  /**
   * Seconds after start during which a scheduled push waits quietly for a
   * partner that does not answer yet (its /healthz), instead of failing and
   * retrying: partners started together with the main site (the demo) are
   * pushed once they listen. 0 (the default): pushes are attempted, and
   * failures recorded, from the first second.
   */
  pushStartGraceSeconds: intFromString(0, 3600).default(0),
  /** The largest blob batch in one request. */
  pushBatchBytes: intFromString(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
  /** When to ask partners what they really serve. */
  driftCheckCron: z.string().min(1).default('0 */5 * * * *'),
  watchDebounceMs,
  /** Publish the content folder at start and on every settled edit. */
  watchContent: boolFromString.default(true),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof syncConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof syncConfig]> {}
}
