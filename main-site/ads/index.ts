import { countsModule } from '../counts/index.js';
import { adDeliveryOf, isOwnDelivery } from '../../common/ads/index.js';
import { defineModule } from '../../common/module.js';
import { defineConfigSlice } from '../../common/config-slice.js';
import { fromRoot } from '../../common/paths.js';
import { adEntry, adFront, adsHolderConfig, adViewEntry, AdHolder, HeldStore, heldMigrations, holderOptions, pointsAccountHtml } from '../../common/ads/index.js';
import { noticesModule } from '../notices/index.js';
import { portalModule } from '../portal/index.js';
import { usersModule } from '../users/index.js';
import { addAdsSection, adsApi, adsPages, mountAdsEndpoints, paymentWebhook } from './ads-api.js';
import { AdsService } from './ads-service.js';
import { AdsStore } from './ads-store.js';
import { adsCli } from './cli.js';
import { adsConfig } from './config.js';
import { adsErrors } from './errors.js';

/** The main site's ads: the service (states, payments, the quota allocator, points) and the main site's own holder. */
export type MainAds = AdsService & { holder: AdHolder };

/**
 * Advertisements at the main site (docs/ads.md): ads commissioned for
 * advertisers, payment and re-payment requests through the outbox, the quota
 * allocator that leases deliveries to every site so none can deliver beyond
 * the paid count, ad slots on this site's own pages, viewing points.
 */
export const adsModule = defineModule<MainAds>({
  name: 'ads',
  errors: [adsErrors],
  config: defineConfigSlice({ ...adsConfig.shape, ...adsHolderConfig.shape }),
  cli: adsCli,
  logEntryTypes: [adEntry, adViewEntry],
  migrations: [...heldMigrations, { namespace: 'ads', dir: fromRoot('main-site/ads/migrations') }],
  views: [fromRoot('main-site/ads/views')],
  nav: [{ path: '/ads', title: 'Ads', group: 'Content' }],
  create: (host) => {
    const { ctx, use } = host;
    const users = use(usersModule).service;
    const portal = use(portalModule);
    const service = new AdsService(ctx, new AdsStore(ctx.db), use(noticesModule), portal, (id) => users.exists(id));
    // The main site serves ads too, from leases it grants itself through the same allocator (no s2s, same rules).
    const holder = new AdHolder(ctx.config.siteId, new HeldStore(ctx.db), ctx.log, ctx.logger, { exchange: async (req) => service.exchange(ctx.config.siteId, req) }, holderOptions(ctx.config));
    addAdsSection(portal, service);
    // Every served ad is an `ad` entry; delivery counts count them as item ad:<id>, like any counted item (docs/counts.md).
    // A partner's own ad (lease "own") is not the main site's ad <id>, whatever its id: it is not counted at all
    // (no advertiser here to report to or bill; the fee statement counts it from the same entries, docs/ads.md).
    if (host.has(countsModule))
      use(countsModule).countEntryType('ad', (e) => {
        const d = adDeliveryOf(e.path);
        return d && !isOwnDelivery(d) ? `ad:${d.ad}` : null;
      });
    return Object.assign(service, { holder });
  },
  s2s: (router, ads, deps) => mountAdsEndpoints(router, ads, deps),
  consoleApi: (router, ads) => router.use(adsApi(ads, ads.holder)),
  consolePages: (router, ads) => router.use(adsPages(ads, ads.holder)),
  front: (app, ads, host) => {
    app.use(paymentWebhook(ads, () => host.ctx.config.adsPaymentSecret));
    app.use(
      adFront({
        holder: ads.holder,
        view: () => host.view(),
        log: host.ctx.log,
        sessions: host.use(usersModule).sessions,
        credit: async (c, user) => ads.creditView(host.ctx.config.siteId, { ad: c.a, lease: c.l, seq: c.s, user }),
      }),
    );
  },
  accountSections: (ads) => [(shopper) => pointsAccountHtml(ads.pointsFor(shopper.userId))],
  start: (ads) => {
    ads.start();
    ads.holder.start();
  },
  close: async (ads) => {
    ads.close();
    await ads.holder.close();
  },
});

export type { AdsService } from './ads-service.js';
export type { AdRow, AdState, LeaseRow } from './ads-store.js';
