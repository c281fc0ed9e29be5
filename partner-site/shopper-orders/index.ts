import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { networkOrdersHtml } from '../../common/shopper-orders/index.js';
import { shopModule } from '../shop/index.js';
import { OrderReportStore } from './order-report-store.js';
import { OrderReporter } from './order-reporter.js';

/**
 * Shopper orders across the network on a partner: every state of the orders
 * placed here is reported to the main site (the shopper's e-mails go from
 * there), and the account page lists the shopper's orders on every other site,
 * asked of the main site (docs/shopper-orders.md).
 */
export const shopperOrdersModule = defineModule<OrderReporter>({
  name: 'shopper-orders',
  migrations: [{ namespace: 'shopper-orders', dir: fromRoot('partner-site/shopper-orders/migrations') }],
  create: ({ ctx, use }) => new OrderReporter(ctx, new OrderReportStore(ctx.db), use(shopModule)),
  accountSections: (reporter) => [
    async ({ userId }) => {
      const { orders, note } = await reporter.ordersOf(userId);
      return networkOrdersHtml(orders, reporter.siteId, note);
    },
  ],
  start: (reporter) => reporter.start(),
  close: (reporter) => reporter.close(),
});

export { OrderReporter } from './order-reporter.js';
