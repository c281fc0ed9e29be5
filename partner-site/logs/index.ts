import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { ownLogApi } from './logs-api.js';
import { ownLogPages } from './logs-pages.js';
import { LogShipping } from './log-shipping.js';
import { logsConfig } from './config.js';
import { logBrowserErrors } from '../../common/logs/index.js';

/** A partner's access log: its own signed log (ground floor), shipped to the main site on a timer, and its console. */
export const logsModule = defineModule<LogShipping>({
  name: 'logs',
  config: logsConfig,
  errors: [logBrowserErrors],
  views: [fromRoot('partner-site/logs/views'), fromRoot('common/logs/views')],
  nav: [{ path: '/logs', title: 'Access log', group: 'Logs' }],
  create: ({ ctx }) => new LogShipping(ctx),
  consoleApi: (router, _l, { ctx }) => router.use(ownLogApi(ctx)),
  consolePages: (router, _l, { ctx }) => router.use(ownLogPages(ctx)),
  start: (l) => l.start(),
  close: (l) => l.stop(),
});
