import express from 'express';
import { badRequest, notFound } from '../../common/errors.js';
import type { SiteContext } from '../../common/site/context.js';

/** /manage/api/fees?period=YYYY-MM: this partner's statement, fetched from the main site over s2s. */
export function partnerFeesApi(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/fees', async (req, res) => {
    const period = typeof req.query.period === 'string' ? req.query.period : new Date().toISOString().slice(0, 7);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw badRequest('invalid_request', 'period must be YYYY-MM');
    const main = ctx.peers.list().find((p) => p.role === 'main');
    if (!main) throw notFound('main_not_enrolled', 'no main site is enrolled');
    const r2 = await ctx.client.call(main.id, 'POST', '/s2s/fees/statement', { period });
    res.json(r2.body);
  });
  return r;
}
