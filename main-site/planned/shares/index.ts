import { defineModule } from '../../../common/module.js';
import { fromRoot } from '../../../common/paths.js';
import { SHARES_ENTRY_TYPES } from '../../../common/planned/shares/sale.js';
import { noticesModule } from '../../notices/index.js';
import { portalModule } from '../../portal/index.js';
import { sharesErrors } from './errors.js';
import { SharesService } from './shares-service.js';
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
  create: ({ ctx, use }) => new SharesService(ctx, new SharesStore(ctx.db), use(portalModule), use(noticesModule)),
});

export { SharesService, type Recorded } from './shares-service.js';
export { sharesErrors } from './errors.js';
