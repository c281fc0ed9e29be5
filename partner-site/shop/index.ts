import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { accountOrders, cartHousekeeping, mountShopFront, shopFrontMigrations, shopTermsSlice } from '../../common/shop/index.js';
import { syncModule } from '../sync/index.js';
import { usersModule } from '../users/index.js';
import { managerShopApi, managerShopPages, mountShopReports } from './manager-shop.js';
import { PartnerShop } from './partner-shop.js';
import { PartnerShopStore } from './shop-store.js';
import { shopConfig } from './config.js';
import { shopErrors } from '../../common/shop/errors.js';
import { partnerShopErrors } from './errors.js';
import { cancelEntry, orderEntry, refundEntry } from '../../common/shop/log-entries.js';
import { pageEntry } from '../../common/sync/index.js';

/**
 * The shop on a partner: tie-up goods handled locally, entrusted to the main
 * site or on its command (by contract), the partner's own goods, and the
 * manager's orders console. Its store also keeps user copies for the users capability.
 */
export const shopModule = defineModule<PartnerShop>({
  name: 'shop',
  errors: [shopErrors, partnerShopErrors],
  logEntryTypes: [pageEntry, orderEntry, cancelEntry, refundEntry],
  terms: shopTermsSlice,
  migrations: [...shopFrontMigrations, { namespace: 'shop', dir: fromRoot('partner-site/shop/migrations'), adopts: { 1: 'partner:4' } }],
  config: shopConfig,
  views: [fromRoot('partner-site/shop/views')],
  nav: [{ path: '/orders', title: 'Orders', group: 'Orders' }],
  create({ ctx, use }) {
    const content = use(syncModule).content;
    const shop = new PartnerShop(ctx, new PartnerShopStore(ctx.db, ctx.config.siteId), () => content.current());
    shop.seedOriginalStock();
    content.onChange(() => shop.seedOriginalStock());
    use(usersModule).keepCopiesIn(shop.store);
    return shop;
  },
  s2s: (router, shop, deps) => mountShopReports(router, shop, deps),
  consoleApi: (router, shop) => router.use(managerShopApi(shop)),
  consolePages: (router, shop) => router.use(managerShopPages(shop)),
  accountSections: (shop) => [accountOrders(shop)],
  front: (app, shop, host) => mountShopFront(app, host.ctx, { view: () => host.view(), backend: shop, sessions: host.use(usersModule).sessions }),
  start: (shop, { ctx }) => {
    shop.startPolling(ctx.config.shopStateMs);
    shop.startSettling(ctx.config.shopSettleMs);
  },
  jobs: (_shop, { ctx }) => [cartHousekeeping(ctx)],
  close: (shop) => shop.stopPolling(),
});

export type { PartnerShop } from './partner-shop.js';
export type { PartnerOrderEvent, PartnerOrderListener } from './partner-shop.js';
