import express from 'express';
import { formatMoney } from '../../common/money.js';
import { SETTLEMENTS, nextStates } from '../../common/shop/index.js';
import { shopErrors } from '../../common/shop/index.js';
import { ORDER_BANNERS, type MainShop } from '../shop/index.js';
import type { ShopperOrders } from './shopper-orders-service.js';
import type { SiteContext } from '../../common/site/context.js';

/**
 * /admin/orders/<number>: one order of this site for the operator who fulfils
 * it: lines, delivery address, payment, the partner's number of an entrusted
 * order (linked to the partner's console, which links back), the timeline of
 * its states, and the moves it can make (ship with a tracking reference,
 * deliver, cancel with a reason; cancelling asks first).
 */
export function orderPage(ctx: SiteContext, shop: MainShop, orders: ShopperOrders): express.Router {
  const r = express.Router();
  r.get('/orders/:number', (req, res) => {
    const order = shop.store.byNumber(req.params.number);
    if (!order) throw shopErrors.order_not_found(`there is no order ${req.params.number}`);
    const partnerNumber = order.mode === 'entrust' ? orders.partnerNumberOf(order.site, order.number) : null;
    const peer = order.mode === 'entrust' ? ctx.peers.get(order.site) : undefined;
    res.render('order-detail', {
      title: `Order ${order.number}`,
      order,
      partnerNumber,
      partnerUrl: partnerNumber && peer ? `${peer.baseUrl.replace(/\/$/, '')}/manage/orders#order-${encodeURIComponent(partnerNumber)}` : null,
      payment: SETTLEMENTS[order.settlement],
      timeline: shop.timeline(order),
      next: nextStates(order.state),
      banner: ORDER_BANNERS.read(req.query),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
    });
  });
  return r;
}
