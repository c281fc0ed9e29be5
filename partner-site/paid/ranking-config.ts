import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** How often a partner fetches its rankings and banners from the main site. */
export const rankingClientConfig = defineConfigSlice({
  /** Seconds between fetches (the main site recomputes every TIEUP_PAID_RANKING_REFRESH_SECONDS, default 300). */
  paidRankingFetchSeconds: intFromString(5, 86400).default(300),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof rankingClientConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof rankingClientConfig]> {}
}
