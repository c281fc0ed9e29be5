import { defineConfigSlice, intFromString } from '../config-slice.js';
import type { ConfigOfSlices, InputOfSlices } from '../config.js';

/** The serving side of ads, on every site (docs/ads.md, "Configuration"). */
export const adsHolderConfig = defineConfigSlice({
  /** How often a site exchanges with the main site's quota allocator when nothing runs low (ms). */
  adsExchangeMs: intFromString(50, 60_000).default(500),
  /** Taken off every lease's time to live on the serving site (ms), for clock rates. */
  adsLeaseMarginMs: intFromString(0, 60_000).default(1000),
  /** A lease unused this long goes back (ms). */
  adsIdleReturnMs: intFromString(100, 600_000).default(3000),
  /** Ask for more quota when a lease holds less than this many seconds of deliveries. */
  adsLowWaterSeconds: intFromString(0, 600).default(1),
  /**
   * A slot whose ad is eligible but has no quota on this site waits at most this long for an exchange
   * before the page goes out without it (ms; 0: never wait). Only a site holding no lease waits: at a
   * shopper's pace leases go back between pages, and without the wait the occasional visitor never saw an ad.
   */
  adsStarvedWaitMs: intFromString(0, 5000).default(250),
  /** How long an ad's click link works (seconds). */
  adsClickTtlSeconds: intFromString(60, 30 * 86400).default(86400),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof adsHolderConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof adsHolderConfig]> {}
}

export function holderOptions(c: { adsExchangeMs: number; adsLeaseMarginMs: number; adsIdleReturnMs: number; adsLowWaterSeconds: number; adsClickTtlSeconds: number; adsStarvedWaitMs: number }) {
  return {
    exchangeMs: c.adsExchangeMs,
    marginMs: c.adsLeaseMarginMs,
    idleMs: c.adsIdleReturnMs,
    lowWaterSeconds: c.adsLowWaterSeconds,
    clickTtlSeconds: c.adsClickTtlSeconds,
    starvedWaitMs: c.adsStarvedWaitMs,
  };
}
