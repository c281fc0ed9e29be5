import { addMarkdownAddition } from '../../common/render/page-renderer.js';
import { jobMethodAddition } from '../../common/coord/index.js';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { COORD_DECISION } from '../../common/protocol/coord.js';
import { peerErrorCode } from '../../common/s2s/client.js';
import { pageEntry } from '../../common/sync/index.js';
import { syncModule } from '../sync/index.js';
import { usersModule } from '../users/index.js';
import {
  coordPageLog,
  getComponentsLink,
  mountJobEndpoints,
  signHandoff,
  supplyErrors,
  SupplyService,
  SupplyStore,
  mountSupplyEndpoints,
  supplyApi,
  supplyPages,
  supplyMigrations,
} from '../../common/coord/net/index.js';

/**
 * A partner (or a supplier-only site such as the demo grocer) as a component
 * supplier: it answers the main site's quote requests from its own goods,
 * takes orders exactly once, and its manager accepts or refuses them here;
 * decisions go back to the main site until it has them.
 */
// Job-method pages show their component list, "Get the components" and JSON-LD (common/coord/job-page.ts), on every site that coordinates.
addMarkdownAddition(jobMethodAddition);

export const coordModule = defineModule({
  name: 'coord',
  errors: [supplyErrors],
  migrations: supplyMigrations,
  // "Get the components" (/coord/get) is a page the shopper is served: an access-log entry like any other.
  logEntryTypes: [pageEntry],
  views: [fromRoot('common/coord/net/views')],
  nav: [{ path: '/coord/supply', title: 'Component orders', group: 'Orders' }],
  create: (host) => new SupplyService(new SupplyStore(host.ctx.db), host.ctx.logger),
  s2s: (router, supply, deps, host) => {
    mountSupplyEndpoints(router, supply, deps);
    // A supplier-only site has no pages: it is not a job-method provider.
    if (host.has(syncModule)) mountJobEndpoints(router, () => host.view(), deps);
  },
  consoleApi: (router, supply) => router.use(supplyApi(supply)),
  consolePages: (router, supply) => router.use(supplyPages(supply, '/manage')),
  front: (app, _supply, host) => {
    if (!host.has(syncModule)) return;
    const { ctx } = host;
    app.use(
      getComponentsLink(
        (page) => {
          const main = ctx.peers.main();
          return main ? `${main.baseUrl}/coord/start?handoff=${encodeURIComponent(signHandoff(ctx, page))}` : null;
        },
        () => host.view(),
        coordPageLog(ctx.log, () => host.view(), host.use(usersModule).sessions),
      ),
    );
  },
  start: (supply, { ctx }) =>
    supply.connect(async (d) => {
      try {
        await ctx.client.send('main', COORD_DECISION, d);
      } catch (err) {
        // The main site has an answer for this order already (or no longer waits): nothing left to deliver.
        const code = peerErrorCode(err, COORD_DECISION);
        if (code === 'too_late' || code === 'already_decided' || code === 'order_not_found') return;
        throw err;
      }
    }),
  close: (supply) => supply.close(),
});

export type { SupplyService } from '../../common/coord/net/index.js';
