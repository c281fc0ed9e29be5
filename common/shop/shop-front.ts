import type express from 'express';
import cron, { type ScheduledTask } from 'node-cron';
import type { AccountSection, FastPath } from '../module.js';
import { fromRoot } from '../paths.js';
import type { ContentView } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';
import type { MigrationSet } from '../store/sqlite.js';
import type { ShopperSessions } from '../users/index.js';
import { CartCookie } from './cart-cookie.js';
import { CartStore } from './cart-store.js';
import { productFastPath } from './product-fast-path.js';
import { accountOrdersHtml } from './shop-html.js';
import { shopRoutes, type ShopBackend } from './shop-routes.js';

/** Carts (and the site secret their forms are signed with) are kept by every site. */
export const shopFrontMigrations: MigrationSet[] = [{ namespace: 'shop-shared', dir: fromRoot('common/shop/migrations'), adopts: { 1: 'common:4' } }];

/**
 * The shop a shopper meets on any site: catalog, cart and checkout. Main site
 * and partners differ only in who processes orders (the backend). Returns the
 * product-page fast path that answers before express.
 */
export function mountShopFront(app: express.Express, ctx: SiteContext, o: { view: () => ContentView; backend: ShopBackend; sessions: ShopperSessions }): FastPath {
  const carts = new CartStore(ctx.db);
  const cartCookie = new CartCookie(ctx.config.siteId, carts.secret('cart-csrf'), ctx.config.cookieSecure);
  app.use(shopRoutes({ view: o.view, backend: o.backend, carts, cartCookie, sessions: o.sessions, log: ctx.log, logger: ctx.logger }));
  return productFastPath({ ctx, view: o.view, backend: o.backend, cartCookie, sessionCookieName: o.sessions.cookieName });
}

/** The shopper's orders on the account page. */
export function accountOrders(backend: ShopBackend): AccountSection {
  return async ({ userId }) => {
    const { orders, note, pending } = await backend.ordersFor(userId);
    return accountOrdersHtml(orders, note, pending);
  };
}

/** Hourly: carts nobody touched for 30 days. */
export function cartHousekeeping(ctx: SiteContext): ScheduledTask {
  return cron.schedule(
    '0 7 * * * *',
    () => {
      const carts = new CartStore(ctx.db).prune(new Date(Date.now() - 30 * 86400_000));
      if (carts) ctx.logger.info({ event: 'shop_housekeeping', carts }, 'carts untouched for 30 days removed');
    },
    { name: `${ctx.config.siteId}-shop-housekeeping`, noOverlap: true },
  );
}
