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
  r.use(logBrowserPages(mainLogSources(ctx, witness)));
  return r;
}
