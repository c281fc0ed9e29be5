import express from 'express';
import { logBrowserPages } from '../../common/logs/index.js';
import type { SiteContext } from '../../common/site/context.js';
import { logsOverview } from './logs-api.js';
import { mainLogSources } from './log-sources.js';
import type { Witness } from './witness.js';

export function logsPages(ctx: SiteContext, witness: Witness): express.Router {
  const r = express.Router();
  r.get('/logs', (_req, res) => {
    res.render('main-logs', { title: 'Access logs', ...logsOverview(ctx, witness) });
  });
  // The evidence an alert links to: both signed checkpoints of each fork, as received.
  r.get('/logs/forks/:site', (req, res) => {
    const site = req.params.site ?? '';
    const forks = witness.store.forks(site);
    // A removed partner's evidence stays readable: it is exactly what an auditor may ask for later.
    if (!ctx.peers.get(site) && forks.length === 0) {
      res.status(404).render('message', { title: 'No such partner', message: `No partner named "${site}" is enrolled here.` });
      return;
    }
    res.render('main-log-forks', { title: `Fork evidence: ${site}`, site, forks });
  });
  r.use(logBrowserPages(mainLogSources(ctx, witness)));
  return r;
}
