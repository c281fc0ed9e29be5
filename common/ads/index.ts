// The part of ads both sites run: the ad definition, the choice of an ad, the leases a site holds and serves from, the slot, the log entries.
import { fromRoot } from '../paths.js';
import type { MigrationSet } from '../store/sqlite.js';

export { adDefinition, adId, categoryOf, targets, AD_ID_RE, type AdDefinition, type Creative, type Target } from './definition.js';
export { adEntry, adViewEntry, adDeliveryOf, adPathOf, isOwnDelivery, OWN_LEASE } from './log-entries.js';
export { chooseAd, leaseSize, pageWords, type Candidate, type Choice, type SlotPage } from './choose.js';
export { signClick, verifyClick, type ClickClaims } from './click-token.js';
export { adBlock } from './ad-block.js';
export { adFront, type CreditView } from './ad-front.js';
export { AdHolder, type ChoiceRecord, type HolderOptions, type LeaseChannel, type OwnAdStatus, type Served } from './holder.js';
export { HeldStore, type HeldLease } from './held-store.js';
export { adsHolderConfig, holderOptions } from './config.js';
export { pointsCharge, adsFeeCounts } from './points.js';

/** The serving side's tables, on every site. */
export const heldMigrations: MigrationSet[] = [{ namespace: 'ads-held', dir: fromRoot('common/ads/migrations') }];
export { pointsAccountHtml, POINTS_UNAVAILABLE_HTML } from './points-section.js';
