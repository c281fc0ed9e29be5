import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { logsApi, mountLogShipping } from './logs-api.js';
import { logsPages } from './logs-pages.js';
import { MainLogs } from './main-logs.js';
import { Witness } from './witness.js';
import { WitnessStore } from './witness-store.js';
import { logsCli } from './cli.js';
import { logsErrors } from './errors.js';
import { logBrowserErrors } from '../../common/logs/index.js';

/**
 * Access logs on the main site: its own signed log (ground floor), the
 * witness that accepts, checks and cosigns partners' shipped logs, audit
 * bundle export, and the logs console.
 */
export const logsModule = defineModule<MainLogs>({
  name: 'logs',
  cli: logsCli,
  errors: [logsErrors, logBrowserErrors],
  migrations: [{ namespace: 'logs', dir: fromRoot('main-site/logs/migrations'), adopts: { 1: 'main:3', 2: 'main:4', 3: 'main:5' } }],
  views: [fromRoot('main-site/logs/views'), fromRoot('common/logs/views')],
  nav: [{ path: '/logs', title: 'Access logs', group: 'Logs' }],
  create: ({ ctx }) => new MainLogs(new Witness(ctx, new WitnessStore(ctx.db)), { log: ctx.log, store: ctx.logStore }),
  s2s: (router, l, deps) => mountLogShipping(router, l.witness, deps),
  consoleApi: (router, l, { ctx }) => router.use(logsApi(ctx, l.witness, (site) => l.bundleAttachment(site))),
  consolePages: (router, l, { ctx }) => router.use(logsPages(ctx, l.witness)),
  alerts: (l) => {
    const bySite = new Map<string, number>();
    for (const f of l.witness.store.forks(null)) bySite.set(f.site, (bySite.get(f.site) ?? 0) + 1);
    return [...bySite].map(([site, n]) => ({
      text: `The log of ${site} forked: ${n === 1 ? 'one signed checkpoint contradicts' : `${n} signed checkpoints contradict`} the history this site cosigned.`,
      path: `/logs/forks/${encodeURIComponent(site)}`,
    }));
  },
});

export type { MainLogs } from './main-logs.js';
export type { Witness, WitnessListener, WitnessedShipment } from './witness.js';
export type { LogUsage } from './witness-store.js';
export { emptyLogUsage } from './witness-store.js';
