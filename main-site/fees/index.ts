import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { logsModule } from '../logs/index.js';
import { syncModule } from '../sync/index.js';
import { FeeService } from './fee-service.js';
import { FeeStore } from './fee-store.js';
import { feesApi, mountPartnerFees } from './fees-api.js';
import { feesPages } from './fees-pages.js';
import { feesCli } from './cli.js';
import { feesErrors } from './errors.js';

/**
 * Partnership fees: versioned fee contracts, statements per partner and
 * period computed from witnessed logs, closing, and each partner's own
 * statement over s2s. A site's audit bundle carries its fee contract on request.
 */
export const feesModule = defineModule<FeeService>({
  name: 'fees',
  cli: feesCli,
  errors: [feesErrors],
  migrations: [{ namespace: 'fees', dir: fromRoot('main-site/fees/migrations'), adopts: { 1: 'main:4' } }],
  views: [fromRoot('main-site/fees/views')],
  nav: [{ path: '/fees', title: 'Fees', group: 'Money' }],
  create({ ctx, use }) {
    const logs = use(logsModule);
    const fees = new FeeService(ctx, logs.witness, new FeeStore(ctx.db), use(syncModule));
    logs.attachToBundles((site) => fees.contract(site));
    return fees;
  },
  s2s: (router, fees, deps) => mountPartnerFees(router, fees, deps),
  consoleApi: (router, fees) => router.use(feesApi(fees)),
  consolePages: (router, fees, { ctx }) => router.use(feesPages(fees, ctx.logger)),
});

export type { FeeService, PartnerStatement } from './fee-service.js';
