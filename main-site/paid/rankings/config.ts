import type { ConfigOfSlices, InputOfSlices } from '../../../common/config.js';
import { defineConfigSlice, intFromString } from '../../../common/config-slice.js';
import { z } from 'zod';

/** Rankings, banners and replacement flags at the main site (docs/paid-content.md, "Rankings and banners"). */
export const rankingsConfig = defineConfigSlice({
  /** Seconds between recomputations of rankings, banners and flags (seed 【0160】: "at intervals"). */
  paidRankingRefreshSeconds: intFromString(10, 86400).default(300),
  /** Days of accesses a ranking counts (the latest window); the window before it is what "falling" compares with. */
  paidRankingWindowDays: intFromString(1, 366).default(7),
  /** Lines per ranking (overall and per category). */
  paidRankingSize: intFromString(1, 100).default(10),
  /** Banner time slots: 30 or 60 minutes, per weekday (UTC). */
  paidBannerSlotMinutes: z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.union([z.literal(30), z.literal(60)], { error: 'must be 30 or 60' })).default(60),
  /** Days of sales a banner choice looks back over. */
  paidBannerLookbackDays: intFromString(7, 366).default(28),
  /** An item with fewer accesses than this in the latest window is flagged "low". */
  paidLowAccesses: intFromString(0, 1_000_000).default(5),
  /** An item whose accesses fell by at least this percentage from the window before is flagged "falling". */
  paidFallingPercent: intFromString(1, 100).default(30),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof rankingsConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof rankingsConfig]> {}
}
