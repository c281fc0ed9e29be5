import type express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPageRouter, sitePageNotFound } from '../render/page-router.js';
import type { ContentView } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';
import { CartStore } from '../store/cart-store.js';
import { ShopperSessionStore } from '../store/shopper-session-store.js';
import { shopperAccounts, type UserDirectory } from '../web/shopper-accounts.js';
import { ShopperSessions } from '../web/shopper-session.js';
import { CartCookie } from './cart-cookie.js';
import { productFastPath } from './product-fast-path.js';
import { accountOrders, shopRoutes, type ShopBackend } from './shop-routes.js';

/**
 * Everything a shopper meets on a site, mounted last: accounts, the shop,
 * the pages of the current view, and the 404 in the site's look. Main site and
 * partners differ only in where accounts live and who processes orders.
 * Returns the product-page fast path that answers before this app.
 */
export function mountShopFront(
  app: express.Express,
  ctx: SiteContext,
  o: { view: () => ContentView; backend: ShopBackend; directory: UserDirectory },
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const sessions = new ShopperSessions(ctx.config.siteId, new ShopperSessionStore(ctx.db), ctx.config.cookieSecure);
  app.use(shopperAccounts({ siteId: ctx.config.siteId, directory: o.directory, sessions, view: o.view, logger: ctx.logger, accountSections: accountOrders(o.backend) }));
  const carts = new CartStore(ctx.db);
  const cartCookie = new CartCookie(ctx.config.siteId, carts.secret('cart-csrf'), ctx.config.cookieSecure);
  app.use(shopRoutes({ view: o.view, backend: o.backend, carts, cartCookie, sessions, log: ctx.log, logger: ctx.logger }));
  app.use(createPageRouter(o.view, ctx.log, sessions));
  app.use(sitePageNotFound(o.view, ctx.log));
  return productFastPath({ ctx, view: o.view, backend: o.backend, cartCookie, sessionCookieName: sessions.cookieName });
}
