import express from 'express';
import { logBrowserPages } from '../../common/logs/index.js';
import type { SiteContext } from '../../common/site/context.js';
import { ownLogSources, ownLogStatus } from './logs-api.js';

export function ownLogPages(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/logs', (_req, res) => {
    res.render('partner-logs', { title: 'Access log', log: ownLogStatus(ctx) });
  });
  // Only this site's own log: a partner's console has no other to show.
  r.use(logBrowserPages(ownLogSources(ctx)));
  return r;
}
