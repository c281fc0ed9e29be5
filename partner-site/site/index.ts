import { defineModule } from '../../common/module.js';
import { mainApi } from './main-api.js';
import { siteCli } from './cli.js';
import { siteErrors } from './errors.js';

/** The peers console of a partner: the one main site it belongs to (/manage/api/main). */
export const siteModule = defineModule({
  name: 'site',
  cli: siteCli,
  errors: [siteErrors],
  create: () => ({}),
  consoleApi: (router, _s, { ctx }) => router.use('/main', mainApi(ctx)),
});
