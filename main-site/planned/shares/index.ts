import cron from 'node-cron';
import { defineModule } from '../../../common/module.js';
import { fromRoot } from '../../../common/paths.js';
import { SHARES_ENTRY_TYPES } from '../../../common/planned/shares/sale.js';
import { noticesModule } from '../../notices/index.js';
import { portalModule } from '../../portal/index.js';
import { sharesErrors } from './errors.js';
import { SharesService } from './shares-service.js';
import { sharesApi, sharesConsolePages, sharesSection } from './shares-pages.js';
import { sharesCli } from './cli.js';
import { SharesStore } from './shares-store.js';

/**
 * Planned shares (issue 16 item 6), a module of its own inside the planned
 * capability, like paid's reports: planner contracts, sales and refunds of
 * planned pages split between the main site, the selling partner, the planner
 * and the contributors, and every party's statement. The rest of planned
 * pages (main-site/planned) records sales through this module's service.
 */
export const plannedSharesModule = defineModule<SharesService>({
  name: 'planned-shares',
  migrations: [{ namespace: 'planned-shares', dir: fromRoot('main-site/planned/shares/migrations') }],
  errors: [sharesErrors],
  logEntryTypes: SHARES_ENTRY_TYPES,
  cli: sharesCli,
  views: [fromRoot('main-site/planned/shares/views')],
  nav: [{ path: '/planned/shares', title: 'Planned shares', group: 'Money' }],
  create: ({ ctx, use }) => {
    const shares = new SharesService(ctx, new SharesStore(ctx.db), use(portalModule), use(noticesModule));
    use(portalModule).addSection(sharesSection(shares));
    return shares;
  },
  consoleApi: (router, shares) => router.use(sharesApi(shares)),
  consolePages: (router, shares) => router.use(sharesConsolePages(shares)),
  // Every 5 minutes: close the periods that ended (each once; see SharesService.closeCycles).
  jobs: (shares, { ctx }) => [
    cron.schedule(
      '30 */5 * * * *',
      () => {
        try {
          shares.closeCycles();
        } catch (err) {
          ctx.logger.error({ event: 'planned_shares_close_failed', err }, 'planned share statements could not be closed; the next run tries again');
        }
      },
      { name: `${ctx.config.siteId}-planned-shares`, noOverlap: true },
    ),
  ],
});

export { SharesService, type Recorded } from './shares-service.js';
export { sharesErrors } from './errors.js';
