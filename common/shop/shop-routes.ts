import express, { type Request, type Response } from 'express';
import { AppError } from '../errors.js';
import { formBody } from '../http/bodies.js';
import type { Logger } from '../logger.js';
import { logOrderEvent, logPageView, type LogWho } from '../logchain/page-log.js';
import type { SiteLog } from '../logchain/site-log.js';
import type { ContentView } from '../render/content-view.js';
import { escapeHtml } from '../render/page-renderer.js';
import type { CartItem, CartStore } from './cart-store.js';
import { randomToken } from '../web/tokens.js';
import type { CurrentShopper, ShopperSessions } from '../users/index.js';
import type { Product } from '../render/catalog.js';
import type { CartCookie } from './cart-cookie.js';
import { shopErrors } from './errors.js';
import { isSettlement, type DeliveryAddress, type OrderView, type Settlement } from './order-states.js';
import {
  CSRF_SLOT,
  availabilityText,
  cartHtml,
  categoryHtml,
  checkoutHtml,
  confirmationHtml,
  confirmingHtml,
  notPlacedHtml,
  productHtml,
  searchHtml,
  shopIndexHtml,
  type CartLineView,
  type ImageOf,
} from './shop-html.js';
import { ProductImages, isImageWidth } from './product-images.js';

export interface CheckoutGroup {
  id: string;
  label: string;
  settlements: Settlement[];
}

export interface PlaceRequest {
  shopper: { id: string; email: string; name: string };
  group: string;
  lines: { product: Product; qty: number }[];
  settlement: Settlement;
  address: DeliveryAddress | null;
  idempotencyKey: string;
  /** The total the checkout page showed (lines and handling fee): an order with another total is refused (total_changed), never charged. */
  shownTotal: number;
  /** The store key of the cart the order comes from (locked while its outcome is unknown). */
  cartKey?: string;
  /** The session id the access log records for this shopper. */
  logSession?: string | null;
}

/** An order sent on whose outcome is not known yet (its answer was lost): the shopper's page is /checkout/pending/<ref>. */
export interface PendingOrder {
  pending: true;
  ref: string;
}

/** What settling a cart's open attempts found: an attempt still unknown locks the cart; placed orders left it. */
export interface CartSettlement {
  locked: PendingOrder | null;
  placed: OrderView[];
}

export type PendingView =
  { state: 'unknown'; lines: { name: string; qty: number }[]; total: number; currency: string; since: string } | { state: 'placed'; order: OrderView } | { state: 'not_placed' };

/**
 * What differs between the main site and a partner: who processes an order,
 * where availability comes from, which checkout groups a cart splits into.
 * Throws AppError with a message for the shopper when an order cannot be placed.
 */
export interface ShopBackend {
  groupOf(p: Product): CheckoutGroup;
  /** The handling fee an order of these lines in this group will carry (asked where it is decided), for the checkout page; none when absent. */
  quote?(group: string, lines: { product: Product; qty: number }[]): Promise<{ handlingFee: number }>;
  available(p: Product): number | null;
  /** The order, or a pending one when the answer of whoever processes it was lost. */
  place(r: PlaceRequest): Promise<OrderView | PendingOrder>;
  ordersFor(userId: string): Promise<{ orders: OrderView[]; note?: string; pending?: PendingOrder[] }>;
  order(userId: string, number: string): Promise<OrderView | undefined>;
  /** Where orders can be left pending (a partner's entrusted orders): settles a cart's open attempts before it may change or check out. */
  settleCart?(cartKey: string): Promise<CartSettlement>;
  pendingOrder?(userId: string, ref: string): Promise<PendingView | undefined>;
}

export interface ShopRoutesOptions {
  view: () => ContentView;
  backend: ShopBackend;
  carts: CartStore;
  cartCookie: CartCookie;
  sessions: ShopperSessions;
  log: SiteLog;
  logger: Logger;
}

const MAX_LINES = 50;
const MAX_QTY = 99;
const KEY_RE = /^[A-Za-z0-9_-]{16,80}$/;

/** Product pictures, shared by every site in the process: variants are keyed by the asset's hash. */
const productImages = new ProductImages();
const imagesOf =
  (view: ContentView): ImageOf =>
  (p, w) =>
    productImages.url(view, p, w);

/** The product page as served: built once per view, product and availability; the shopper's form token spliced in. */
export function servedProductPage(view: ContentView, backend: ShopBackend, cartCookie: CartCookie, productId: string, cartId: string): { body: Buffer; etag: string; product: Product } | null {
  const p = view.catalog.get(productId);
  if (!p) return null;
  const avail = backend.available(p);
  const key = `product:${p.id}:${availabilityText(avail).label}`;
  const parts = view.builtParts(key, CSRF_SLOT, () => view.wrap(p.name, productHtml(p, avail, imagesOf(view)), { path: `/shop/product/${p.id}`, kind: p.source }));
  const token = cartCookie.token(cartId);
  // The token is an HMAC already: a prefix of it tells this shopper's copy apart without hashing the page again.
  return { body: parts.after ? Buffer.concat([parts.before, Buffer.from(token), parts.after]) : parts.before, etag: `${parts.etag.slice(0, -1)}-${token.slice(0, 8)}"`, product: p };
}

export function shopRoutes(o: ShopRoutesOptions): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '32kb', parameterLimit: 200 });
  const who = (req: Request, shopper?: CurrentShopper): LogWho => {
    const s = shopper ?? o.sessions.current(req);
    const cart = o.cartCookie.read(req.headers.cookie);
    return { user: s?.session.userId ?? null, session: s?.logId ?? (cart ? o.cartCookie.logId(cart) : null) };
  };
  /** A page answered for this shopper; cart, checkout and order pages (the default) are logged as kind shop: shop actions, not page views of content. */
  const sendPage = (req: Request, res: Response, view: ContentView, status: number, title: string, html: string, kind: 'tie-up' | 'original' | 'shop' = 'shop') => {
    const body = view.wrap(title, html, { path: req.path, kind: kind === 'shop' ? 'original' : kind });
    res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
    logPageView(o.log, req, res, kind, Buffer.byteLength(body), view.release?.number ?? null, who(req));
  };
  /** A page the same for everyone in this view: built once, revalidated by ETag. */
  const sendBuilt = (req: Request, res: Response, view: ContentView, key: string, kind: 'tie-up' | 'original', build: () => string) => {
    const body = view.built(key, build);
    res.set('ETag', view.etagFor(key)).set('Cache-Control', 'no-cache');
    let bytes = 0;
    if (req.fresh) res.status(304).end();
    else {
      res.type('html').send(body);
      bytes = Buffer.byteLength(body);
    }
    logPageView(o.log, req, res, kind, bytes, view.release?.number ?? null, who(req));
  };
  const kindOf = (products: Product[]) => (products.some((p) => p.source === 'tie-up') ? 'tie-up' : 'original');
  const cartLines = (view: ContentView, items: CartItem[]): CartLineView[] =>
    items.flatMap((i) => {
      const product = view.catalog.get(i.productId);
      if (!product) return [];
      const g = o.backend.groupOf(product);
      return [{ product, qty: i.qty, group: { id: g.id, label: g.label }, available: o.backend.available(product) }];
    });

  r.get('/shop', (req, res) => {
    const view = o.view();
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    if (q) return sendPage(req, res, view, 200, `Search: ${q}`, searchHtml(q, view.catalog.search(q), imagesOf(view)), kindOf(view.catalog.all()));
    const all = view.catalog.all();
    sendBuilt(req, res, view, 'shop-index', kindOf(all), () => view.wrap('Shop', shopIndexHtml(view.catalog.categories, all.slice(0, 200), imagesOf(view)), { path: '/shop', kind: kindOf(all) }));
  });

  r.get('/shop/category/:category', (req, res, next) => {
    const view = o.view();
    const cat = req.params.category;
    const products = view.catalog.inCategory(cat);
    if (products.length === 0) return next();
    sendBuilt(req, res, view, `category:${cat}`, kindOf(products), () => view.wrap(cat, categoryHtml(cat, products, imagesOf(view)), { path: req.path, kind: kindOf(products) }));
  });

  r.get('/shop/product/:id', (req, res, next) => {
    const view = o.view();
    if (!view.catalog.get(req.params.id)) return next();
    const cartId = o.cartCookie.ensure(req, res);
    const page = servedProductPage(view, o.backend, o.cartCookie, req.params.id, cartId)!;
    res.set('ETag', page.etag).set('Cache-Control', 'private, no-cache').set('Vary', 'Cookie');
    let bytes = 0;
    if (req.fresh) res.status(304).end();
    else {
      res.type('html').send(page.body);
      bytes = page.body.length;
    }
    logPageView(o.log, req, res, page.product.source, bytes, view.release?.number ?? null, who(req));
  });

  r.get('/shop/image/:id', (req, res, next) => {
    const view = o.view();
    const p = view.catalog.get(req.params.id);
    const w = Number(req.query.w ?? 320);
    if (!p) return next();
    if (!isImageWidth(w)) return res.status(400).type('text/plain').send('w is one of 80, 160, 320, 640.');
    const v = productImages.variant(view, p, w);
    if (v === 'missing') return next();
    if (v === 'damaged') return res.status(503).set('Retry-After', '60').type('text/plain').send('This picture cannot be served right now.');
    // A URL naming this version may be kept for a year (a new picture gets a new URL); another is revalidated.
    const current = req.query.v === v.version;
    res
      .set('ETag', `"img-${v.version}-${w}"`)
      .set('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'public, no-cache')
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    if (req.fresh) return res.status(304).end();
    res.type('image/svg+xml').send(v.body);
  });

  /** The cart count in every page's navigation: a tiny picture, so pages built once for everyone stay shared. */
  r.get('/cart/count.svg', (req, res) => {
    const cartId = o.cartCookie.read(req.headers.cookie);
    const view = o.view();
    const n = cartId ? o.carts.get(o.cartCookie.storeKey(cartId)).items.reduce((s, i) => s + (view.catalog.get(i.productId) ? i.qty : 0), 0) : 0;
    res.set('Cache-Control', 'private, no-store').set('Vary', 'Cookie').set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('image/svg+xml').send(cartCountSvg(n));
  });

  const showCart = (req: Request, res: Response, status: number, notice?: string, pendingRef?: string) => {
    const view = o.view();
    const cartId = o.cartCookie.ensure(req, res);
    const cart = o.carts.get(o.cartCookie.storeKey(cartId));
    sendPage(req, res, view, status, 'Your cart', cartHtml(cartLines(view, cart.items), o.cartCookie.token(cartId), notice, pendingRef));
  };
  const csrfRefused = 'The form expired or was not sent from this shop (CSRF check). Nothing was changed; please try again.';

  /**
   * Before a cart changes or is checked out: orders sent from it whose answer
   * was lost are settled with whoever processes them. While one cannot be
   * settled the cart is locked; one that turns out placed took its goods out
   * of the cart. Either way the shopper is told, and the request stops here
   * (true) rather than act on a cart that is not what they saw.
   */
  const settledFirst = async (req: Request, res: Response, storeKey: string, viewOnly = false): Promise<boolean> => {
    if (!o.backend.settleCart) return false;
    const s = await o.backend.settleCart(storeKey);
    if (s.locked) {
      showCart(
        req,
        res,
        viewOnly ? 200 : 409,
        'We are confirming your last order with the central warehouse, so your cart is locked until we know whether it was placed. Nothing was changed.',
        s.locked.ref,
      );
      return true;
    }
    if (s.placed.length) {
      const numbers = s.placed.map((x) => x.number).join(', ');
      showCart(req, res, viewOnly ? 200 : 409, `Your order ${numbers} was placed: its goods left your cart (see your orders under Account). Nothing else was changed.`);
      return true;
    }
    return false;
  };

  r.get('/cart', async (req, res, next) => {
    try {
      const cartId = o.cartCookie.read(req.headers.cookie);
      if (cartId && (await settledFirst(req, res, o.cartCookie.storeKey(cartId), true))) return;
      showCart(req, res, 200);
    } catch (err) {
      next(err);
    }
  });

  r.post('/cart/add', form, async (req, res, next) => {
    const cartId = o.cartCookie.read(req.headers.cookie);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (!o.cartCookie.check(cartId, b._csrf)) return showCart(req, res, 403, csrfRefused);
    try {
      if (await settledFirst(req, res, o.cartCookie.storeKey(cartId!))) return;
    } catch (err) {
      return next(err);
    }
    const view = o.view();
    const product = typeof b.product === 'string' ? view.catalog.get(b.product) : undefined;
    const qty = Number(b.qty ?? 1);
    if (!product) return showCart(req, res, 400, 'That product is not in this shop.');
    if (!Number.isInteger(qty) || qty < 1 || qty > MAX_QTY) return showCart(req, res, 400, `Choose a quantity from 1 to ${MAX_QTY}.`);
    const available = o.backend.available(product);
    if (available === 0) return showCart(req, res, 409, `${product.name} is out of stock.`);
    const key = o.cartCookie.storeKey(cartId!);
    const cart = o.carts.get(key);
    const line = cart.items.find((i) => i.productId === product.id);
    const wanted = (line?.qty ?? 0) + qty;
    // Never more in the cart than can be had: refused, said plainly, the cart unchanged.
    if (available !== null && wanted > available) return showCart(req, res, 409, `Only ${available} of ${product.name} left${line ? ` and ${line.qty} already in your cart` : ''}; nothing was added.`);
    if (wanted > MAX_QTY) return showCart(req, res, 400, `A cart holds at most ${MAX_QTY} of one product${line ? ` (${line.qty} already in your cart)` : ''}; nothing was added.`);
    if (line) line.qty = wanted;
    else if (cart.items.length >= MAX_LINES) return showCart(req, res, 400, `A cart holds at most ${MAX_LINES} different products.`);
    else cart.items.push({ productId: product.id, qty });
    // A changed cart is a new order: a new idempotency key.
    o.carts.put(key, { items: cart.items, checkoutKey: null });
    res.redirect(303, '/cart');
  });

  r.post('/cart/update', form, async (req, res, next) => {
    const cartId = o.cartCookie.read(req.headers.cookie);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (!o.cartCookie.check(cartId, b._csrf)) return showCart(req, res, 403, csrfRefused);
    try {
      if (await settledFirst(req, res, o.cartCookie.storeKey(cartId!))) return;
    } catch (err) {
      return next(err);
    }
    const key = o.cartCookie.storeKey(cartId!);
    const cart = o.carts.get(key);
    const items: CartItem[] = [];
    for (const i of cart.items) {
      const raw = b[`qty_${i.productId}`];
      const qty = raw === undefined ? i.qty : Number(raw);
      if (!Number.isInteger(qty) || qty < 0 || qty > MAX_QTY) return showCart(req, res, 400, `Quantities are whole numbers from 0 to ${MAX_QTY}; nothing was changed.`);
      const product = o.view().catalog.get(i.productId);
      const available = product && qty > i.qty ? o.backend.available(product) : null;
      if (product && available !== null && qty > available) return showCart(req, res, 409, `Only ${available} of ${product.name} left; nothing was changed.`);
      if (qty > 0) items.push({ productId: i.productId, qty });
    }
    o.carts.put(key, { items, checkoutKey: null });
    res.redirect(303, '/cart');
  });

  /** The cart lines of one checkout group, the group, and the cart's key. */
  const checkoutState = (req: Request, res: Response, groupId: string) => {
    const view = o.view();
    const cartId = o.cartCookie.ensure(req, res);
    const storeKey = o.cartCookie.storeKey(cartId);
    const cart = o.carts.get(storeKey);
    const lines = cartLines(view, cart.items).filter((l) => l.group.id === groupId);
    const group = lines.length ? o.backend.groupOf(lines[0]!.product) : undefined;
    return { view, cartId, storeKey, cart, lines, group };
  };

  r.get('/checkout', async (req, res, next) => {
    const groupId = typeof req.query.group === 'string' ? req.query.group : '';
    const shopper = o.sessions.current(req);
    if (!shopper) return res.redirect(303, `/account/login?next=${encodeURIComponent(`/checkout?group=${groupId}`)}`);
    try {
      const cartId = o.cartCookie.read(req.headers.cookie);
      if (cartId && (await settledFirst(req, res, o.cartCookie.storeKey(cartId)))) return;
    } catch (err) {
      return next(err);
    }
    const st = checkoutState(req, res, groupId);
    if (!st.group) return showCart(req, res, 404, 'There is nothing to check out in that part of your cart.');
    let handlingFee = 0;
    try {
      handlingFee = (await o.backend.quote?.(groupId, st.lines))?.handlingFee ?? 0;
    } catch (err) {
      // No checkout without the fee it will carry: the shopper is told why, nothing is shown that could be charged otherwise.
      if (err instanceof AppError && err.expose) return showCart(req, res, err.status, err.message);
      return next(err);
    }
    let key = st.cart.checkoutKey;
    if (!key) {
      key = randomToken(18);
      o.carts.put(st.storeKey, { items: st.cart.items, checkoutKey: key });
    }
    sendPage(
      req,
      res,
      st.view,
      200,
      'Check out',
      checkoutHtml({
        group: groupId,
        label: st.group.label,
        lines: st.lines,
        settlements: st.group.settlements,
        handlingFee,
        csrf: o.cartCookie.token(st.cartId),
        key: `${key}-${groupId}`,
        shopper: shopper.session,
      }),
    );
  });

  r.post('/checkout', form, async (req, res, next) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string, max: number) => (typeof b[k] === 'string' ? b[k].trim().slice(0, max) : '');
    const groupId = str('group', 40);
    const shopper = o.sessions.current(req);
    if (!shopper) return res.redirect(303, `/account/login?next=${encodeURIComponent(`/checkout?group=${groupId}`)}`);
    const cartId = o.cartCookie.read(req.headers.cookie);
    if (!o.cartCookie.check(cartId, b._csrf)) return showCart(req, res, 403, csrfRefused);
    try {
      if (await settledFirst(req, res, o.cartCookie.storeKey(cartId!))) return;
    } catch (err) {
      return next(err);
    }
    const st = checkoutState(req, res, groupId);
    if (!st.group) return showCart(req, res, 409, 'There is nothing to check out in that part of your cart (was it already ordered?). See your orders under Account.');
    const address: DeliveryAddress = { name: str('name', 100), street: str('street', 200), postcode: str('postcode', 20), city: str('city', 100), country: str('country', 60) };
    const settlement = b.settlement;
    const key = str('key', 100);
    const linesTotal = st.lines.reduce((s, l) => s + l.qty * l.product.price, 0);
    const shownTotal = /^\d{1,12}$/.test(str('total', 20)) ? Number(str('total', 20)) : -1;
    // The fee the shopper was shown; the backend compares the order it would place with the total, so a wrong one here can only refuse.
    let handlingFee = Math.max(0, shownTotal - linesTotal);
    const again = (status: number, error: string) =>
      sendPage(
        req,
        res,
        st.view,
        status,
        'Check out',
        checkoutHtml({
          group: groupId,
          label: st.group!.label,
          lines: st.lines,
          settlements: st.group!.settlements,
          handlingFee,
          csrf: o.cartCookie.token(st.cartId),
          key,
          values: { ...address, settlement: typeof settlement === 'string' ? settlement : '' },
          error,
          shopper: shopper.session,
        }),
      );
    if (!KEY_RE.test(key)) return again(400, 'The form is incomplete; please reload the checkout page.');
    if (!isSettlement(settlement) || !st.group.settlements.includes(settlement)) return again(400, 'Choose how you will pay.');
    const pickup = settlement === 'pickup';
    const missing = (['name', 'street', 'postcode', 'city', 'country'] as const).filter((k) => !address[k]);
    if (!pickup && missing.length) return again(400, `Fill in the delivery address (${missing.join(', ')}).`);
    try {
      const placed = await o.backend.place({
        shopper: { id: shopper.session.userId, email: shopper.session.email, name: shopper.session.name },
        group: groupId,
        lines: st.lines.map((l) => ({ product: l.product, qty: l.qty })),
        settlement,
        address: pickup ? null : address,
        idempotencyKey: key,
        shownTotal,
        cartKey: st.storeKey,
        logSession: who(req, shopper).session,
      });
      // The answer was lost: the truth, on a page the shopper can reload; the cart stays as it is, locked.
      if ('pending' in placed) return res.redirect(303, `/checkout/pending/${encodeURIComponent(placed.ref)}`);
      const order = placed;
      const ordered = new Set(st.lines.map((l) => l.product.id));
      const fresh = o.carts.get(st.storeKey);
      o.carts.put(st.storeKey, { items: fresh.items.filter((i) => !ordered.has(i.productId)), checkoutKey: null });
      logOrderEvent(o.log, {
        type: 'order',
        path: '/checkout',
        kind: st.lines.some((l) => l.product.source === 'tie-up') ? 'tie-up' : 'original',
        status: 201,
        release: st.view.release?.number ?? null,
        who: who(req, shopper),
        client: req.ip,
        ua: req.get('user-agent'),
        order: { id: order.number, amount: order.total, currency: order.currency },
      });
      o.logger.info({ event: 'order_placed', order: order.number, mode: order.mode, total: order.total, currency: order.currency }, 'order placed');
      res.redirect(303, `/orders/${encodeURIComponent(order.number)}?placed=1`);
    } catch (err) {
      if (shopErrors.total_changed.is(err)) {
        // The new total, shown for confirmation: the form now carries it, so placing again orders at exactly this total.
        handlingFee = Number(err.details?.handlingFee ?? 0);
        return again(409, err.message);
      }
      if (err instanceof AppError && err.status < 500) return again(err.status, err.message);
      // A 5xx reaches the shopper only when its catalog entry is written for them (main_unreachable).
      if (err instanceof AppError && err.expose) {
        o.logger.warn({ event: 'order_not_placed', code: err.code, reason: err.message }, 'order not placed');
        return again(err.status, err.message);
      }
      next(err);
    }
  });

  r.get('/checkout/pending/:ref', async (req, res, next) => {
    const shopper = o.sessions.current(req);
    if (!shopper) return res.redirect(303, `/account/login?next=${encodeURIComponent(req.originalUrl)}`);
    try {
      const view = o.view();
      const p = await o.backend.pendingOrder?.(shopper.session.userId, req.params.ref);
      if (!p) return sendPage(req, res, view, 404, 'Order not found', '<h1>Order not found</h1><p>There is no order being confirmed under that address for you.</p>');
      if (p.state === 'placed') return res.redirect(303, `/orders/${encodeURIComponent(p.order.number)}?placed=1`);
      if (p.state === 'not_placed') return sendPage(req, res, view, 200, 'Your order was not placed', notPlacedHtml());
      res.set('Retry-After', '30');
      sendPage(req, res, view, 202, 'We are confirming your order', confirmingHtml(p));
    } catch (err) {
      next(err);
    }
  });

  r.get('/orders/:number', async (req, res, next) => {
    const shopper = o.sessions.current(req);
    if (!shopper) return res.redirect(303, `/account/login?next=${encodeURIComponent(req.originalUrl)}`);
    try {
      const order = await o.backend.order(shopper.session.userId, req.params.number);
      const view = o.view();
      if (!order) return sendPage(req, res, view, 404, 'Order not found', `<h1>Order not found</h1><p>You have no order ${escapeHtml(req.params.number)} on this shop.</p>`);
      const placed = req.query.placed === '1';
      // Just placed: the parts of the cart still to check out, each its own order.
      const cartId = placed ? o.cartCookie.read(req.headers.cookie) : undefined;
      const rest = new Map<string, string>();
      if (cartId) for (const l of cartLines(view, o.carts.get(o.cartCookie.storeKey(cartId)).items)) rest.set(l.group.id, l.group.label);
      sendPage(
        req,
        res,
        view,
        200,
        `Order ${order.number}`,
        confirmationHtml(
          order,
          view.look.name,
          placed,
          [...rest].map(([id, label]) => ({ id, label })),
        ),
      );
    } catch (err) {
      next(err);
    }
  });
  return r;
}

/** A round badge with the number of items (nothing drawn for an empty cart). */
export function cartCountSvg(n: number): string {
  if (n <= 0) return '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="20"></svg>';
  const text = n > 99 ? '99+' : String(n);
  const width = Math.max(20, 8 + text.length * 8);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20"><title>${n} in your cart</title><rect width="${width}" height="20" rx="10" fill="#fff"/><text x="${width / 2}" y="14.5" font-family="system-ui,sans-serif" font-size="13" font-weight="700" text-anchor="middle" fill="#222">${text}</text></svg>`;
}
