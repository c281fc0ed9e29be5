import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { SHOPPER_ORDERS_OF, SHOPPER_ORDERS_REPORT } from '../../common/protocol/index.js';
import { s2sEndpoint } from '../../common/s2s/middleware.js';
import { networkOrdersHtml } from '../../common/shopper-orders/index.js';
import { noticesModule } from '../notices/index.js';
import { shopModule } from '../shop/index.js';
import { usersModule } from '../users/index.js';
import { ShopperOrders } from './shopper-orders-service.js';
import { orderPage } from './order-page.js';
import { ordersCsv } from './orders-csv.js';
import { ShopperOrdersStore } from './shopper-orders-store.js';

/**
 * Shopper orders across the network at the main site: the shopper's e-mail at
 * each state of every order (its own orders' and those partners report), and
 * one order list per account, which partners ask for (docs/shopper-orders.md).
 */
export const shopperOrdersModule = defineModule<ShopperOrders>({
  name: 'shopper-orders',
  migrations: [{ namespace: 'shopper-orders', dir: fromRoot('main-site/shopper-orders/migrations') }],
  create: ({ ctx, use }) => new ShopperOrders(ctx, new ShopperOrdersStore(ctx.db), use(shopModule), use(usersModule).service, use(noticesModule)),
  s2s: (router, orders, deps) => {
    // A partner reports only its own orders: the site is the authenticated caller, never a field of the body.
    s2sEndpoint(router, deps, SHOPPER_ORDERS_REPORT, (s2s, body) => ({ body: orders.report(s2s.peer.id, body.events) }));
    s2sEndpoint(router, deps, SHOPPER_ORDERS_OF, (_s2s, body) => ({ body: { orders: orders.ordersOf(body.userId) } }));
  },
  views: [fromRoot('main-site/shopper-orders/views')],
  consolePages: (router, orders, host) => {
    router.use(orderPage(host.ctx, host.use(shopModule), orders));
    router.use(ordersCsv(host.use(shopModule), orders));
  },
  accountSections: (orders) => [({ userId }) => networkOrdersHtml(orders.ordersOf(userId), orders.siteId)],
});

export { ShopperOrders } from './shopper-orders-service.js';
