import express from 'express';
import { formatMoney } from '../../common/money.js';
import type { SiteContext } from '../../common/site/context.js';
import { ownStatement, periodOrCurrent } from './own-statement.js';

/** /manage/fees: this partner's statement for the current (or ?period=) month, read from the main site. */
export function partnerFeesPages(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/fees', async (req, res) => {
    let s: unknown = null;
    let error: string | null = null;
    try {
      s = await ownStatement(ctx, periodOrCurrent(req.query.period));
    } catch (err) {
      error = (err as Error).message;
    }
    res.render('partner-fees', { title: 'Partnership fee', s, error, money: (a: number, c: string) => formatMoney({ amount: a, currency: c }) });
  });
  return r;
}
