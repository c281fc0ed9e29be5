import express from 'express';
import { publicError } from '../../common/errors.js';
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
      // The page shows a client error's message, never an internal error's text.
      const out = publicError(err);
      if (out.internal) ctx.logger.error({ event: 'fee_statement_failed', err }, 'could not read the fee statement');
      error = out.body.error.message;
    }
    res.render('partner-fees', { title: 'Partnership fee', s, error, money: (a: number, c: string) => formatMoney({ amount: a, currency: c }) });
  });
  return r;
}
