import express from 'express';
import { formatMoney } from '../../common/money.js';
import type { PartnerPaid } from './partner-paid.js';

const itemList = (paid: PartnerPaid) => [...paid.items().values()].map(({ item }) => item);

/** /manage/api/paid: the items this partner may sell and what it charged its members. */
export function partnerPaidApi(paid: PartnerPaid): express.Router {
  const r = express.Router();
  r.get('/paid/items', (_req, res) => {
    res.json({ items: itemList(paid) });
  });
  r.get('/paid/charges', (_req, res) => {
    res.json({ charges: paid.store.charges(), totals: paid.store.totals() });
  });
  return r;
}

/** /manage/paid: the same, as a page. */
export function partnerPaidPages(paid: PartnerPaid): express.Router {
  const r = express.Router();
  r.get('/paid', (_req, res) => {
    res.render('partner-paid', {
      title: 'Paid content',
      items: itemList(paid),
      charges: paid.store.charges(200),
      totals: paid.store.totals(),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
    });
  });
  return r;
}
