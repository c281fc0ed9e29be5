import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { accountOrders, cartHousekeeping, mountShopFront, shopFrontMigrations, shopTermsSlice } from '../../common/shop/index.js';
import { syncModule } from '../sync/index.js';
import { usersModule } from '../users/index.js';
import { mainShopBackend } from './main-backend.js';
import { MainShop } from './main-shop.js';
import { mountShopCentre, shopApi, shopPages } from './shop-api.js';
import { MainShopStore } from './shop-store.js';
import { shopErrors } from '../../common/shop/errors.js';
import { mainShopErrors } from './errors.js';
import { shopConfig } from './config.js';
import cron from 'node-cron';
import { cancelEntry, orderEntry, refundEntry } from '../../common/shop/log-entries.js';
import { pageEntry } from '../../common/sync/index.js';

/**
 * The shop at the main site: central stock, orders of its own shoppers and
 * those partners entrust to it (exactly once), consultations, and the orders
 * console, including the orders partners process themselves.
 */
export const shopModule = defineModule<MainShop>({
  name: 'shop',
  errors: [shopErrors, mainShopErrors],
  logEntryTypes: [pageEntry, orderEntry, cancelEntry, refundEntry],
  terms: shopTermsSlice,
  migrations: [...shopFrontMigrations, { namespace: 'shop', dir: fromRoot('main-site/shop/migrations'), adopts: { 1: 'main:7' } }],
  config: shopConfig,
  views: [fromRoot('main-site/shop/views')],
  nav: [{ path: '/orders', title: 'Orders', group: 'Orders' }],
  create({ ctx, use }) {
    const content = use(syncModule).content;
    const shop = new MainShop(ctx, new MainShopStore(ctx.db), () => content.current(), use(usersModule).service);
    shop.seedStock();
    content.onRefresh(() => shop.seedStock());
    return shop;
  },
  s2s: (router, shop, deps) => mountShopCentre(router, shop, deps),
  consoleApi: (router, shop) => router.use(shopApi(shop)),
  consolePages: (router, shop) => router.use(shopPages(shop)),
  accountSections: (shop) => [accountOrders(mainShopBackend(shop))],
  front: (app, shop, host) => mountShopFront(app, host.ctx, { view: () => host.view(), backend: mainShopBackend(shop), sessions: host.use(usersModule).sessions }),
  jobs: (shop, { ctx }) => [
    cartHousekeeping(ctx),
    // Every minute: entrusted orders never confirmed by their partner within TIEUP_SHOP_UNCONFIRMED_EXPIRE_MS.
    cron.schedule(
      '30 * * * * *',
      () => {
        try {
          shop.expireUnconfirmed();
        } catch (err) {
          ctx.logger.error({ event: 'order_expiry_failed', reason: (err as Error).message }, 'could not expire unconfirmed orders; the next run tries again');
        }
      },
      { name: `${ctx.config.siteId}-shop-expire-unconfirmed`, noOverlap: true },
    ),
  ],
});

export type { MainShop } from './main-shop.js';
export type { MainOrderEvent, MainOrderListener } from './main-shop.js';
export { ORDER_BANNERS } from './shop-api.js';
