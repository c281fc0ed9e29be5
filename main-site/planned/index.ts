import cron from 'node-cron';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { accountPurchasesHtml, plannedAccessEntry, plannedBuyRoutes, plannedPageFastPath } from '../../common/planned/index.js';
import { noticesModule } from '../notices/index.js';
import { portalModule } from '../portal/index.js';
import { publish, syncModule } from '../sync/index.js';
import { usersModule } from '../users/index.js';
import { plannedReleaseFilter } from './carriage.js';
import { plannedCli } from './cli.js';
import { plannedConfig } from './config.js';
import { mountPlannedEndpoints, plannedApi, plannedPages } from './console.js';
import { contributeUpload } from './contribute-upload.js';
import { plannedErrors } from './errors.js';
import { PlannedService } from './planned-service.js';
import { PlannedStore } from './planned-store.js';
import { contributorSection, plannerSection } from './portal-sections.js';
import { mainBackend, publicForms } from './public-front.js';
import { sharesPanel } from './shares-panel.js';
import { plannedSharesModule } from './shares/index.js';

/**
 * Planned pages at the main site (seed 000): planners apply and are approved
 * with a contract, build pages with the assistant and open them into
 * releases; contributors contribute, planners moderate; shoppers buy on any
 * site; every access to bought content is logged, and use totals go to each
 * party. The money side (contracts, splits, statements) is plannedSharesModule.
 */
/** The start-up catch-up per running site, cancelled at close if it has not run yet. */
const catchUp = new WeakMap<PlannedService, NodeJS.Immediate>();

export const plannedModule = defineModule<PlannedService>({
  name: 'planned',
  config: plannedConfig,
  errors: [plannedErrors],
  logEntryTypes: [plannedAccessEntry],
  migrations: [{ namespace: 'planned', dir: fromRoot('main-site/planned/migrations') }],
  views: [fromRoot('main-site/planned/views')],
  nav: [{ path: '/planned', title: 'Planned pages', group: 'Content' }],
  cli: plannedCli,
  create: (host) => {
    const { ctx, use } = host;
    const shares = use(plannedSharesModule);
    const portal = use(portalModule);
    const users = use(usersModule);
    const sync = use(syncModule);
    const planned = new PlannedService({
      ctx,
      store: new PlannedStore(ctx.db),
      portal,
      notices: use(noticesModule),
      shares,
      userExists: (id) => users.service.exists(id),
      publish: (note) => void publish(sync, note, 'planned'),
    });
    const panel = sharesPanel(shares);
    portal.addSection(plannerSection(planned, panel, () => host.view()));
    portal.addSection(contributorSection(planned, panel));
    return planned;
  },
  s2s: (router, planned, deps) => mountPlannedEndpoints(router, planned, deps),
  consoleApi: (router, planned) => router.use(plannedApi(planned)),
  consolePages: (router, planned) => router.use(plannedPages(planned)),
  front: (app, planned, host) => {
    // Before the portal's routes (this module is listed before the portal): the multipart contribution form.
    app.use(contributeUpload(host.ctx, planned, host.use(portalModule), host.use(noticesModule)));
    app.use(publicForms(host.ctx, planned, () => host.view()));
    const sessions = host.use(usersModule).sessions;
    app.use(plannedBuyRoutes({ view: () => host.view(), sessions, backend: mainBackend(planned, host.ctx.config.siteId) }));
    return plannedPageFastPath({ ctx: host.ctx, view: () => host.view(), sessionCookieName: sessions.cookieName });
  },
  // A partner receives only the planned pages its planners' contracts let it carry (carriedBy), and a directory of those.
  partnerRelease: () => plannedReleaseFilter,
  accountSections: (planned) => [({ userId }) => accountPurchasesHtml(planned.ordersOf(userId, planned.siteId))],
  // Early each month: last month's use totals to every planner and contributor (once each; the notice's dedupe key holds across restarts).
  // At start too: a period that ended while the site was down still gets its notices (the dedupe key keeps them to one).
  start: (planned, { ctx }) => {
    catchUp.set(
      planned,
      setImmediate(() => {
        try {
          planned.ensureCarriageIndex();
        } catch (err) {
          ctx.logger.warn({ event: 'planned_carriage_failed', reason: (err as Error).message }, 'the planned carriage index was not written');
        }
        try {
          planned.closePeriod();
        } catch (err) {
          ctx.logger.warn({ event: 'planned_totals_failed', reason: (err as Error).message }, 'use totals not sent at start');
        }
      }),
    );
  },
  // A site closed before its first turn (a bench that blocks the loop from start to close) must not run the catch-up on a closed database.
  close: (planned) => clearImmediate(catchUp.get(planned)),
  jobs: (planned, { ctx }) => [cron.schedule('0 15 0 1 * *', () => void planned.closePeriod(), { name: `${ctx.config.siteId}-planned-totals`, noOverlap: true })],
});

export { PlannedService, periodBounds, type Totals, type TotalsLine } from './planned-service.js';
// The shares module (money: contracts, splits, statements) is its own module, like paid's reports.
export { plannedSharesModule, SharesService, sharesErrors, type Recorded } from './shares/index.js';
