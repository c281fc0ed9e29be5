import express from 'express';
import type { SiteContext } from '../../common/site/context.js';
import { ownStatement, periodOrCurrent } from './own-statement.js';

/** /manage/api/fees?period=YYYY-MM: this partner's statement, fetched from the main site over s2s. */
export function partnerFeesApi(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/fees', async (req, res) => {
    res.json(await ownStatement(ctx, periodOrCurrent(req.query.period)));
  });
  return r;
}
