import type { EntryFields } from '../logchain/entry.js';
import { adDeliveryOf, isOwnDelivery } from './log-entries.js';

/**
 * What a paid item costs after viewing points (seed 【0038】): (CP - SP) x m,
 * CP the item's price in points, SP the points used, m the money value of one
 * point in minor units; never below zero, and never using more points than the
 * price needs.
 */
export function pointsCharge(pricePoints: number, available: number, pointValueMinor: number): { charge: number; pointsUsed: number } {
  const used = Math.max(0, Math.min(pricePoints, available));
  return { charge: (pricePoints - used) * pointValueMinor, pointsUsed: used };
}

/**
 * The fee engine's ad figures for one site from its `ad` entries: deliveries of
 * the main site's advertisers' ads (served from a lease the main site granted)
 * and of the site's own (lease "own"). Pure, so an auditor recomputes it from a bundle.
 */
export function adsFeeCounts(entries: Iterable<Pick<EntryFields, 'type' | 'path'>>): { mainAds: number; ownAds: number } {
  let mainAds = 0;
  let ownAds = 0;
  for (const e of entries) {
    if (e.type !== 'ad') continue;
    const d = adDeliveryOf(e.path);
    if (!d) continue;
    if (isOwnDelivery(d)) ownAds++;
    else mainAds++;
  }
  return { mainAds, ownAds };
}
