import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { logsModule } from '../logs/index.js';
import { noticesModule } from '../notices/index.js';
import { portalModule } from '../portal/index.js';
import { countsCli } from './cli.js';
import { countsConfig } from './config.js';
import { CountService } from './count-service.js';
import { countsApi, countsPages, mountCountsSection } from './counts-routes.js';
import { CountsStore } from './counts-store.js';
import { countsErrors } from './errors.js';

/**
 * Delivery counts (seed 004, docs/counts.md): every delivery of an item on
 * any site, counted at the main site from verified, checkpointed logs, and
 * the event rules "every N" / "only at N" that notify the item's supplier.
 */
export const countsModule = defineModule<CountService>({
  name: 'counts',
  config: countsConfig,
  cli: countsCli,
  errors: [countsErrors],
  migrations: [{ namespace: 'counts', dir: fromRoot('main-site/counts/migrations') }],
  views: [fromRoot('main-site/counts/views')],
  nav: [{ path: '/counts', title: 'Delivery counts', group: 'Content' }],
  create: ({ ctx, use }) => {
    const portal = use(portalModule);
    const counts = new CountService(ctx, new CountsStore(ctx.db), use(logsModule), use(noticesModule), portal);
    mountCountsSection(portal, counts);
    return counts;
  },
  consoleApi: (router, counts) => router.use(countsApi(counts)),
  consolePages: (router, counts, { use }) => router.use(countsPages(counts, use(portalModule))),
  start: (counts) => counts.start(),
  close: (counts) => counts.close(),
});

export { CountService, type RestingOn } from './count-service.js';
export { CountsStore, type CountedItem, type FiredEvent, type Rule, type SiteCount } from './counts-store.js';
