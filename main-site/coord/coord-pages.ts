import express from 'express';
import { formatMoney } from '../../common/money.js';
import type { Coordinator } from './coordinator.js';

/** /admin/coord: the parties, every order group with its orders' states, and per order exactly what each party was sent. */
export function coordPages(coord: Coordinator): express.Router {
  const r = express.Router();
  const money = (m: { amount: number; currency: string }) => formatMoney(m);
  r.get('/coord', (_req, res) => {
    res.render('coord-main', {
      title: 'Coordination',
      parties: coord.store.parties(),
      suppliers: coord.suppliers(),
      groups: coord.store.groups({ limit: 100 }).map((g) => coord.view(g)),
      money,
    });
  });
  r.get('/coord/groups/:id', (req, res, next) => {
    try {
      const v = coord.operatorView(String(req.params.id));
      res.render('coord-group', { title: `Order group ${v.group.id}`, ...v, money });
    } catch (err) {
      next(err);
    }
  });
  return r;
}
