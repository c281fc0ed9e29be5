import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { keyIssuedEntry, paidPageEntry, paidRefusedEntry, subscribedEntry, unsubscribedEntry } from '../../common/paid/index.js';
import { usersModule } from '../users/index.js';
import { paidCli } from './cli.js';
import { paidConfig } from './config.js';
import { paidErrors } from './errors.js';
import { mountPaidEndpoints, paidApi, paidPages } from './paid-api.js';
import { PaidService } from './paid-service.js';
import { PaidStore } from './paid-store.js';
import { paidReader } from './reader.js';

/**
 * Paid content at the main site: items from the content folder, access keys
 * issued to partners (with the charge, in one step), subscriptions to period
 * items, revocation, and the key check on every paid page.
 */
export const paidModule = defineModule<PaidService>({
  name: 'paid',
  errors: [paidErrors],
  config: paidConfig,
  cli: paidCli,
  logEntryTypes: [keyIssuedEntry, subscribedEntry, unsubscribedEntry, paidPageEntry, paidRefusedEntry],
  migrations: [{ namespace: 'paid', dir: fromRoot('main-site/paid/migrations') }],
  views: [fromRoot('main-site/paid/views')],
  nav: [{ path: '/paid', title: 'Paid content' }],
  create: (host) => new PaidService(host.ctx, new PaidStore(host.ctx.db), host.use(usersModule).service, () => host.view()),
  s2s: (router, paid, deps) => mountPaidEndpoints(router, paid, deps),
  consoleApi: (router, paid) => router.use(paidApi(paid)),
  consolePages: (router, paid) => router.use(paidPages(paid)),
  front: (app, paid) => {
    app.use(paidReader(paid));
  },
  onPeersChanged: (paid) => paid.peersChanged(),
});

export type { PaidService } from './paid-service.js';
export { paidReportsModule } from './reports/module.js';
export type { ReportService, SalesReport } from './reports/report-service.js';
