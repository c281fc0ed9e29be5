import { confirmOrderCancel } from '../../common/shop/confirm-cancel.js';
import express from 'express';
import { formatMoney } from '../../common/money.js';
import { nextStates, ORDER_STATE_RE } from '../../common/shop/order-states.js';
import { publicError } from '../../common/errors.js';
import { defineBanners, failureBanner, type Banner } from '../../common/web/banners.js';
import type { PartnerShop } from './partner-shop.js';
import { SHOP_PARTNER_ORDERS } from '../../common/protocol/index.js';
import { shopErrors } from '../../common/shop/errors.js';
import { parseMove } from '../../common/shop/move-request.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';

const PRODUCT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** /manage/api: this shop's orders, their states, its own stock and the handling terms in force. */
export function managerShopApi(shop: PartnerShop): express.Router {
  const r = express.Router();
  r.get('/orders', async (_req, res) => {
    const orders = shop.store.list();
    const fresh = await shop.refreshEntrusted(orders);
    res.json({ orders, mainStatesFresh: fresh, beingConfirmed: shop.store.unknownAttempts({ limit: 200 }) });
  });
  r.post('/orders/:number/state', (req, res) => {
    const { to, detail } = parseMove(req.body);
    res.json({ order: shop.move(req.params.number, to, req.consoleUser?.username ?? 'manager', detail) });
  });
  r.get('/stock', (_req, res) => {
    res.json({ stock: shop.store.stock.all() });
  });
  r.put('/stock/:productId', (req, res) => {
    const n = (req.body as { onHand?: unknown } | undefined)?.onHand;
    if (!PRODUCT_RE.test(req.params.productId)) throw shopErrors.invalid_product('not a product id');
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 1_000_000) throw shopErrors.invalid_stock('onHand must be a whole number from 0 to 1000000');
    shop.store.stock.set(req.params.productId, n as number);
    res.json({ productId: req.params.productId, onHand: n });
  });
  r.get('/shop-terms', (_req, res) => {
    const r = shop.readTerms();
    res.json(r.ok ? { terms: r.terms, contracted: r.contracted, userCopy: shop.userCopyGranted() } : { terms: null, problem: r.problem, userCopy: shop.userCopyGranted() });
  });
  return r;
}

/** What /manage/orders can say after a redirect (see common/web/banners.ts). */
export const ORDER_BANNERS = defineBanners('partner orders', {
  order_moved: { text: 'Order {order} is now {state}.', params: { order: 'order', state: ORDER_STATE_RE } },
});

/** /manage/orders: the shop's orders; those it processes can be moved on here. */
export function managerShopPages(shop: PartnerShop): express.Router {
  const r = express.Router();
  const render = async (res: express.Response, banner: Banner | null, status = 200) => {
    const orders = shop.store.list();
    const fresh = await shop.refreshEntrusted(orders);
    res.status(status).render('partner-orders', {
      title: 'Orders',
      orders,
      mainUrl: shop.mainUrl(),
      fresh,
      beingConfirmed: shop.store.unknownAttempts({ limit: 200 }),
      stock: shop.store.stock.all(),
      terms: shop.readTerms(),
      userCopy: shop.userCopyGranted(),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
      nextStates,
      banner,
    });
  };
  r.get('/orders', async (req, res, next) => {
    try {
      await render(res, ORDER_BANNERS.read(req.query));
    } catch (err) {
      next(err);
    }
  });
  r.post('/orders/:number/state', confirmOrderCancel('/manage/orders'));
  r.post('/orders/:number/state', async (req, res) => {
    try {
      const { _csrf: _token, ...fields } = req.body as Record<string, unknown>;
      const { to, detail } = parseMove(fields);
      const o = shop.move(req.params.number, to, req.consoleUser?.username ?? 'manager', detail);
      res.redirect(303, ORDER_BANNERS.href('/manage/orders', 'order_moved', { order: o.number, state: o.state }));
    } catch (err) {
      // Answered in place: a failure's text never travels in a URL.
      const { status, body, internal } = publicError(err);
      if (internal) throw err;
      await render(res, failureBanner(body.error.message), status);
    }
  });
  return r;
}

/** The main site's console reads the orders this partner processes itself (local and consult), over the authenticated channel. */
export function mountShopReports(router: express.Router, shop: PartnerShop, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, SHOP_PARTNER_ORDERS, () => ({
    // Entrusted orders are the main site's own; the rest go without the address and the idempotency key.
    body: { orders: shop.store.list(200).flatMap(({ idempotencyKey: _k, address: _a, ...o }) => (o.mode === 'entrust' ? [] : [{ ...o, mode: o.mode, mainNumber: o.mainNumber ?? null }])) },
  }));
}
