import { confirmOrderCancel } from '../../common/shop/confirm-cancel.js';
import express from 'express';
import { groundErrors, publicError } from '../../common/errors.js';
import { defineBanners, failureBanner, type Banner } from '../../common/web/banners.js';
import { SHOP_CONSULT, SHOP_CONSULT_QUOTE, SHOP_ORDER_BY_KEY, SHOP_ORDER_CONFIRM, SHOP_ORDER_PLACE, SHOP_ORDER_STATUS, SHOP_STATE } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { isOrderState, nextStates, ORDER_STATE_RE, type OrderView } from '../../common/shop/order-states.js';
import { formatMoney } from '../../common/money.js';
import type { MainShop } from './main-shop.js';
import { shopErrors } from '../../common/shop/errors.js';
import { parseMove } from '../../common/shop/move-request.js';

/** Partners forward orders, consult, and read stock and their shop terms here, over the authenticated channel. */
export function mountShopCentre(router: express.Router, shop: MainShop, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, SHOP_ORDER_PLACE, (s2s, body) => {
    const out = shop.placeEntrusted(s2s.peer.id, body);
    return { status: out.replayed ? 200 : 201, body: { ...out, order: mainOrder(out.order) } };
  });
  s2sEndpoint(router, deps, SHOP_CONSULT, (s2s, body) => ({ body: shop.consult(s2s.peer.id, body) }));
  s2sEndpoint(router, deps, SHOP_CONSULT_QUOTE, (s2s, body) => {
    const { consultationId: _none, ...quote } = shop.commandFor(s2s.peer.id, body);
    return { body: quote };
  });
  s2sEndpoint(router, deps, SHOP_STATE, (s2s) => {
    const contract = shop.contractToSend(s2s.peer.id);
    return { body: { stock: shop.stock(), ...(contract ? { contract } : {}), time: new Date().toISOString() } };
  });
  s2sEndpoint(router, deps, SHOP_ORDER_STATUS, (s2s, body) => {
    // Only a partner that received an order's answer knows its id: asking for its state confirms it too.
    shop.confirmOrders(s2s.peer.id, body.ids);
    const orders = body.ids.flatMap((id) => {
      const o = shop.store.get(id);
      return o && o.site === s2s.peer.id ? [{ id: o.id, number: o.number, state: o.state, updatedAt: o.updatedAt }] : [];
    });
    return { body: { orders } };
  });
  s2sEndpoint(router, deps, SHOP_ORDER_BY_KEY, (s2s, body) => {
    const o = shop.orderByKey(s2s.peer.id, body.idempotencyKey);
    return { body: { order: o ? mainOrder(o) : null } };
  });
  s2sEndpoint(router, deps, SHOP_ORDER_CONFIRM, (s2s, body) => ({ body: { confirmed: shop.confirmOrders(s2s.peer.id, body.ids) } }));
}

/** The main site holds only direct and entrusted orders; another mode here is a bug (a 500, nothing sent). */
function mainOrder(o: OrderView) {
  if (o.mode !== 'direct' && o.mode !== 'entrust') throw new Error(`order ${o.number} has mode ${o.mode}, not one of the main site's`);
  return { ...o, mode: o.mode };
}

const listFilter = (q: Record<string, unknown>) => ({
  ...(typeof q.site === 'string' && q.site ? { site: q.site.slice(0, 64) } : {}),
  ...(typeof q.state === 'string' && isOrderState(q.state) ? { state: q.state } : {}),
});

/** /admin/api: orders of every site, their states, and stock. */
export function shopApi(shop: MainShop): express.Router {
  const r = express.Router();
  r.get('/orders', (req, res) => {
    res.json({ orders: shop.store.list(listFilter(req.query)) });
  });
  r.get('/partner-orders', async (req, res) => {
    res.json(await shop.partnerOrders(typeof req.query.site === 'string' ? req.query.site : undefined));
  });
  r.get('/orders/unconfirmed', (_req, res) => {
    res.json({ orders: shop.unconfirmed() });
  });
  r.get('/orders/:number', (req, res) => {
    const o = shop.store.byNumber(req.params.number);
    if (!o) throw shopErrors.order_not_found(`there is no order ${req.params.number}`);
    res.json({ order: o });
  });
  r.post('/orders/:number/state', (req, res) => {
    const { to, detail } = parseMove(req.body);
    res.json({ order: shop.move(req.params.number, to, req.consoleUser?.username ?? 'operator', detail) });
  });
  r.get('/stock', (_req, res) => {
    res.json({ stock: shop.stock() });
  });
  r.put('/stock/:productId', (req, res) => {
    const n = (req.body as { onHand?: unknown } | undefined)?.onHand;
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 1_000_000) throw shopErrors.invalid_stock('onHand must be a whole number from 0 to 1000000');
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(req.params.productId)) throw shopErrors.invalid_product('not a product id');
    shop.store.stock.set(req.params.productId, n as number);
    res.json({ productId: req.params.productId, onHand: n });
  });
  r.get('/consultations', (_req, res) => {
    res.json({ consultations: shop.store.consultations() });
  });
  return r;
}

/** What /admin/orders can say after a redirect (see common/web/banners.ts). */
export const ORDER_BANNERS = defineBanners('main orders', {
  order_moved: { text: 'Order {order} is now {state}.', params: { order: 'order', state: ORDER_STATE_RE } },
});

/** /admin/orders: every site's orders, with buttons for the states each can move to. */
export function shopPages(shop: MainShop): express.Router {
  const r = express.Router();
  const render = async (req: express.Request, res: express.Response, banner: Banner | null, status = 200) => {
    const filter = listFilter(req.query);
    const remote = await shop.partnerOrders(filter.site);
    res.status(status).render('main-orders', {
      title: 'Orders',
      orders: shop.store.list(filter),
      partnerOrders: filter.state ? remote.orders.filter((o) => o.state === filter.state) : remote.orders,
      unreachable: remote.unreachable,
      stock: shop.stock(),
      unconfirmed: shop.unconfirmed(),
      expireAfter: shop.expireAfterText(),
      filter,
      sites: [shop.siteId, ...shop.partnerIds()],
      banner,
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
      nextStates,
    });
  };
  r.get('/orders', async (req, res) => {
    // ?live=<part>: one table of the page, for live.js when an order is placed or moves (docs/console-live.md).
    const live = req.query.live;
    if (live === undefined) return render(req, res, ORDER_BANNERS.read(req.query));
    const filter = listFilter(req.query);
    const money = (a: number, c: string) => formatMoney({ amount: a, currency: c });
    if (live === 'orders') return res.render('main-orders-live-list', { orders: shop.store.list(filter), money, nextStates });
    if (live === 'unconfirmed') return res.render('main-orders-live-unconfirmed', { unconfirmed: shop.unconfirmed(), money });
    if (live === 'partner-orders') {
      const remote = await shop.partnerOrders(filter.site);
      return res.render('main-orders-live-partners', { partnerOrders: filter.state ? remote.orders.filter((o) => o.state === filter.state) : remote.orders, unreachable: remote.unreachable, money });
    }
    throw groundErrors.invalid_request('live: must be one of orders, unconfirmed, partner-orders');
  });
  r.post('/orders/:number/state', confirmOrderCancel('/admin/orders'));
  r.post('/orders/:number/state', async (req, res) => {
    try {
      const { _csrf: _token, ...fields } = req.body as Record<string, unknown>;
      const { to, detail } = parseMove(fields);
      const o = shop.move(req.params.number, to, req.consoleUser?.username ?? 'operator', detail);
      // The order's own page sends its moves back to itself.
      const back = fields.from === 'detail' ? `/admin/orders/${encodeURIComponent(o.number)}` : '/admin/orders';
      res.redirect(303, ORDER_BANNERS.href(back, 'order_moved', { order: o.number, state: o.state }));
    } catch (err) {
      // Answered in place: a failure's text never travels in a URL.
      const { status, body, internal } = publicError(err);
      if (internal) throw err;
      await render(req, res, failureBanner(body.error.message), status);
    }
  });
  return r;
}
