import { addMarkdownAddition } from '../../common/render/page-renderer.js';
import { jobMethodAddition } from '../../common/coord/index.js';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { pageEntry } from '../../common/sync/index.js';
import { coordPageLog, getComponentsLink, supplyMigrations, supplyPages, SupplyService, SupplyStore } from '../../common/coord/net/index.js';
import { usersModule } from '../users/index.js';
import { coordAccountSection, coordFront } from './coord-front.js';
import { coordPages } from './coord-pages.js';
import { jobSource } from './job-source.js';
import { coordApi, mountCoordEndpoints } from './coord-api.js';
import { coordCli } from './cli.js';
import { coordConfig } from './config.js';
import { Coordinator } from './coordinator.js';
import { CoordStore } from './coord-store.js';
import { coordErrors } from './errors.js';

/**
 * Component coordination at the main site (issue 17): the coordinator that
 * asks every component supplier at once, plans by the shopper's priorities,
 * and orders from each supplier, the delivery service and the settlement
 * agent, sending each only what its part needs; and the main site's own
 * central stock as one of the suppliers.
 */
// Job-method pages show their component list, "Get the components" and JSON-LD (common/coord/job-page.ts), on every site that coordinates.
addMarkdownAddition(jobMethodAddition);

export const coordModule = defineModule({
  name: 'coord',
  config: coordConfig,
  cli: coordCli,
  errors: [coordErrors],
  migrations: [...supplyMigrations, { namespace: 'coord', dir: fromRoot('main-site/coord/migrations') }],
  // Every coordination page served to a shopper is an access-log entry (kind shop: common/coord/net/page-log.ts).
  logEntryTypes: [pageEntry],
  views: [fromRoot('main-site/coord/views'), fromRoot('common/coord/net/views')],
  nav: [
    { path: '/coord', title: 'Coordination', group: 'Orders' },
    { path: '/coord/supply', title: 'Central stock orders', group: 'Orders' },
  ],
  create: ({ ctx }) => new Coordinator(ctx, new CoordStore(ctx.db), new SupplyService(new SupplyStore(ctx.db), ctx.logger)),
  s2s: (router, coord, deps) => mountCoordEndpoints(router, coord, deps),
  consoleApi: (router, coord) => router.use(coordApi(coord)),
  consolePages: (router, coord) => {
    router.use(supplyPages(coord.central, '/admin'));
    router.use(coordPages(coord));
  },
  front: (app, coord, host) => {
    const view = () => host.view();
    const sessions = host.use(usersModule).sessions;
    const logged = coordPageLog(host.ctx.log, view, sessions);
    app.use(getComponentsLink((page) => `/coord/start?page=${encodeURIComponent(page)}`, view, logged));
    app.use(coordFront(coord, { view, sessions, jobs: jobSource(host.ctx, view), logged }));
  },
  accountSections: (coord) => [({ userId }) => coordAccountSection(coord.groupsOf(userId))],
  start: (coord) => coord.start(),
  close: (coord) => coord.close(),
});

export type { Coordinator, GroupView, OrderView, QuoteRound, MissingSupplier, OrderInput } from './coordinator.js';
