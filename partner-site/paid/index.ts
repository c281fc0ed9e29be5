import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { chargeEntry } from '../../common/paid/index.js';
import { pageEntry } from '../../common/sync/index.js';
import { usersModule } from '../users/index.js';
import { partnerPaidErrors } from './errors.js';
import { paidFront } from './paid-front.js';
import { paidAccountSection } from './account-section.js';
import { partnerPaidApi, partnerPaidPages } from './paid-console.js';
import { PartnerPaid as PartnerPaidCore } from './partner-paid.js';
import { PartnerPaidStore } from './paid-store.js';
import { reconcileApi, reconcileFor, reconcilePages } from './reconcile-console.js';
import { rankingClientConfig } from './ranking-config.js';
import { PartnerRankings } from './ranking-client.js';
import { rankingFront } from './ranking-front.js';

/** The partner's paid service, with its copy of the rankings and banners. */
export type PartnerPaid = PartnerPaidCore & { rankings: PartnerRankings };

/**
 * Paid content on a partner: entry pages with "Read" and "Subscribe", keys
 * asked of the main site for logged-in members, and the charges this partner
 * bills them, in its store and its signed log.
 */
export const paidModule = defineModule<PartnerPaid>({
  name: 'paid',
  errors: [partnerPaidErrors],
  config: rankingClientConfig,
  logEntryTypes: [chargeEntry, pageEntry],
  migrations: [{ namespace: 'paid', dir: fromRoot('partner-site/paid/migrations') }],
  views: [fromRoot('partner-site/paid/views'), fromRoot('common/paid/views')],
  nav: [
    { path: '/paid', title: 'Paid content', group: 'Content' },
    { path: '/paid/reconciliation', title: 'Statements', group: 'Money' },
  ],
  create: (host) => Object.assign(new PartnerPaidCore(host.ctx, new PartnerPaidStore(host.ctx.db), () => host.view()), { rankings: new PartnerRankings(host.ctx) }),
  consoleApi: (router, paid, host) => {
    router.use(partnerPaidApi(paid));
    router.use(reconcileApi(reconcileFor(host.ctx, paid)));
  },
  consolePages: (router, paid, host) => {
    router.use(partnerPaidPages(paid));
    router.use(reconcilePages(reconcileFor(host.ctx, paid)));
  },
  front: (app, paid, host) => {
    app.use(rankingFront(paid, paid.rankings, host.ctx.log, host.use(usersModule).sessions));
    app.use(paidFront(paid, host.use(usersModule).sessions, host.ctx.log));
  },
  accountSections: (paid) => [paidAccountSection(paid)],
  start: (paid) => paid.rankings.start(),
  close: (paid) => paid.rankings.close(),
});
