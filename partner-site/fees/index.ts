import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { partnerFeesApi } from './fees-api.js';
import { partnerFeesPages } from './fees-pages.js';
import { feesErrors } from './errors.js';

/** A partner's own fee statements, read from the main site over s2s. */
export const feesModule = defineModule({
  name: 'fees',
  errors: [feesErrors],
  views: [fromRoot('partner-site/fees/views')],
  nav: [{ path: '/fees', title: 'Fees', group: 'Money' }],
  create: () => ({}),
  consoleApi: (router, _f, { ctx }) => router.use(partnerFeesApi(ctx)),
  consolePages: (router, _f, { ctx }) => router.use(partnerFeesPages(ctx)),
});
