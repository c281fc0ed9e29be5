import express from 'express';
import type { SiteContext } from '../../common/site/context.js';
import { ownLogStatus } from './logs-api.js';

export function ownLogPages(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/logs', (_req, res) => {
    res.render('partner-logs', { title: 'Access log', log: ownLogStatus(ctx) });
  });
  return r;
}
