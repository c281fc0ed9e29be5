import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { supplyErrors, supplyMigrations, SupplyService, SupplyStore } from '../../common/coord/net/index.js';
import { coordApi, mountCoordEndpoints } from './coord-api.js';
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
export const coordModule = defineModule({
  name: 'coord',
  config: coordConfig,
  errors: [coordErrors, supplyErrors],
  migrations: [...supplyMigrations, { namespace: 'coord', dir: fromRoot('main-site/coord/migrations') }],
  views: [fromRoot('main-site/coord/views'), fromRoot('common/coord/net/views')],
  nav: [{ path: '/coord', title: 'Coordination' }],
  create: ({ ctx }) => new Coordinator(ctx, new CoordStore(ctx.db), new SupplyService(new SupplyStore(ctx.db), ctx.logger)),
  s2s: (router, coord, deps) => mountCoordEndpoints(router, coord, deps),
  consoleApi: (router, coord) => router.use(coordApi(coord)),
  start: (coord) => coord.start(),
  close: (coord) => coord.close(),
});

export type { Coordinator, GroupView, OrderView, QuoteRound, MissingSupplier, OrderInput } from './coordinator.js';
