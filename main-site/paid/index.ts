import { defineModule } from '../../common/module.js';
import { defineConfigSlice } from '../../common/config-slice.js';
import { fromRoot } from '../../common/paths.js';
import { keyIssuedEntry, paidPageEntry, paidRefusedEntry, subscribedEntry, unsubscribedEntry } from '../../common/paid/index.js';
import { adsModule } from '../ads/index.js';
import { usersModule } from '../users/index.js';
import { paidCli } from './cli.js';
import { paidConfig } from './config.js';
import { paidErrors } from './errors.js';
import { reconcileErrors } from './reconcile/errors.js';
import { mountPaidEndpoints, paidApi, paidPages } from './paid-api.js';
import { PaidService as PaidCore } from './paid-service.js';
import { PaidStore } from './paid-store.js';
import { paidReader } from './reader.js';
import { createReconcile, mountReconcileEndpoints, reconcileApi, reconcileCli, reconcileOf, reconcilePages } from './reconcile/index.js';
import { rankingsConfig } from './rankings/config.js';
import { PaidRankings } from './rankings/rankings.js';
import { RankingsStore } from './rankings/rankings-store.js';
import { mountRankingsEndpoint, rankingsApi, rankingsFront, rankingsPages } from './rankings/rankings-routes.js';

/** The paid service, with its rankings and banners (main-site/paid/rankings/). */
export type PaidService = PaidCore & { rankings: PaidRankings };
const partnerIds = (host: { ctx: { peers: { list(): { id: string; role: string }[] } } }) => () =>
  host.ctx.peers
    .list()
    .filter((p) => p.role === 'partner')
    .map((p) => p.id);

/**
 * Paid content at the main site: items from the content folder, access keys
 * issued to partners (with the charge, in one step), subscriptions to period
 * items, revocation, and the key check on every paid page.
 */
export const paidModule = defineModule<PaidService>({
  name: 'paid',
  errors: [paidErrors, reconcileErrors],
  config: defineConfigSlice({ ...paidConfig.shape, ...rankingsConfig.shape }),
  cli: [...paidCli, ...reconcileCli],
  logEntryTypes: [keyIssuedEntry, subscribedEntry, unsubscribedEntry, paidPageEntry, paidRefusedEntry],
  migrations: [{ namespace: 'paid', dir: fromRoot('main-site/paid/migrations') }],
  views: [fromRoot('main-site/paid/views'), fromRoot('common/paid/views')],
  nav: [
    { path: '/paid', title: 'Paid content', group: 'Content' },
    { path: '/paid/rankings', title: 'Rankings and banners', group: 'Content' },
  ],
  create: (host) => {
    // Viewing points discount per-access keys (docs/paid-content.md); a site without ads charges the price.
    const points = host.has(adsModule) ? host.use(adsModule) : undefined;
    const core = new PaidCore(host.ctx, new PaidStore(host.ctx.db), host.use(usersModule).service, () => host.view(), points);
    const paid = Object.assign(core, { rankings: new PaidRankings(host.ctx, new RankingsStore(host.ctx.db), () => core.items()) });
    createReconcile(host, paid);
    return paid;
  },
  s2s: (router, paid, deps) => {
    mountPaidEndpoints(router, paid, deps);
    mountReconcileEndpoints(router, reconcileOf(paid), deps);
    mountRankingsEndpoint(router, paid.rankings, deps);
  },
  consoleApi: (router, paid, host) => {
    router.use(rankingsApi(paid.rankings, partnerIds(host)));
    router.use(paidApi(paid));
    router.use(reconcileApi(reconcileOf(paid)));
  },
  consolePages: (router, paid, host) => {
    router.use(rankingsPages(paid.rankings, partnerIds(host)));
    router.use(paidPages(paid));
    router.use(reconcilePages(reconcileOf(paid)));
  },
  front: (app, paid, host) => {
    app.use(rankingsFront(paid.rankings, () => paid.view(), host.ctx.log, host.use(usersModule).sessions));
    app.use(paidReader(paid));
  },
  onPeersChanged: (paid) => paid.peersChanged(),
  start: (paid) => paid.rankings.start(),
  close: (paid) => paid.rankings.close(),
});

export { reconcileOf, type ReconcileService } from './reconcile/index.js';
export { paidReportsModule } from './reports/module.js';
export type { ReportService, SalesReport } from './reports/report-service.js';
