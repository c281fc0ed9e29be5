import express from 'express';
import { formatMoney } from '../../common/fees/money.js';
import type { SiteContext } from '../../common/site/context.js';

/** /manage/fees: this partner's statement for the current (or ?period=) month, read from the main site. */
export function partnerFeesPages(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/fees', async (req, res) => {
    const period = typeof req.query.period === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(req.query.period) ? req.query.period : new Date().toISOString().slice(0, 7);
    const main = ctx.peers.list().find((p) => p.role === 'main');
    let s: unknown = null;
    let error: string | null = null;
    try {
      if (!main) throw new Error('no main site is enrolled');
      s = (await ctx.client.call(main.id, 'POST', '/s2s/fees/statement', { period })).body;
    } catch (err) {
      error = (err as Error).message;
    }
    res.render('partner-fees', { title: 'Partnership fee', s, error, money: (a: number, c: string) => formatMoney({ amount: a, currency: c }) });
  });
  return r;
}
