import type { IncomingMessage, ServerResponse } from 'node:http';
import { logRequest, securityHeaders } from '../http/base-app.js';
import { logPageHit } from '../logchain/page-log.js';
import type { ContentView } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';
import type { CartCookie } from './cart-cookie.js';
import { servedProductPage, type ShopBackend } from './shop-routes.js';

const PRODUCT_URL = /^\/shop\/product\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})(?:\?.*)?$/;
const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;
const ROUTE = '/shop/product/:id';

/** express's req.fresh for an answer with an ETag and no Last-Modified. */
function isFresh(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm || req.headers['if-modified-since']) return false;
  const cc = req.headers['cache-control'];
  if (cc && NO_CACHE.test(cc)) return false;
  if (inm === '*') return true;
  return inm.split(',').some((t) => {
    const m = t.trim();
    return m === etag || m === `W/${etag}` || `W/${m}` === etag;
  });
}

/**
 * Answers an anonymous shopper's GET of a product page before express: the
 * page is already built for this view, so what is left is the form token,
 * the headers and the log entry. express's own prototype work costs more than
 * all of that (expressjs/express#5998). Everything else, including any
 * request with a shopper session, goes to the express route, which sends the
 * same bytes, headers and log entry (the fast-path test compares them).
 */
export function productFastPath(o: {
  ctx: SiteContext;
  view: () => ContentView;
  backend: ShopBackend;
  cartCookie: CartCookie;
  sessionCookieName: string;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const helmet = securityHeaders(o.ctx);
  const { metrics, log } = o.ctx;
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const m = PRODUCT_URL.exec(req.url ?? '');
    if (!m) return false;
    const cookies = req.headers.cookie;
    if (cookies?.includes(o.sessionCookieName + '=')) return false;
    const view = o.view();
    const id = m[1]!;
    if (!view.catalog.get(id)) return false;
    const start = process.hrtime.bigint();
    let handled = true;
    // helmet is synchronous: it sets its headers and calls next before returning.
    helmet(req, res, (err?: unknown) => {
      if (err) handled = false;
    });
    if (!handled) return false;
    let cartId = o.cartCookie.read(cookies);
    const session = cartId ? o.cartCookie.logId(cartId) : null;
    if (!cartId) {
      const c = o.cartCookie.issue();
      cartId = c.id;
      res.setHeader('Set-Cookie', c.header);
    }
    const page = servedProductPage(view, o.backend, o.cartCookie, id, cartId)!;
    res.setHeader('ETag', page.etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Cookie');
    let bytes = 0;
    if (isFresh(req, page.etag)) {
      res.statusCode = 304;
      res.end();
    } else {
      const body = page.body;
      bytes = body.length;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', bytes);
      res.statusCode = 200;
      res.end(body);
    }
    const path = req.url!.split('?')[0]!;
    logPageHit(log, {
      path,
      kind: page.product.source,
      release: view.release?.number ?? null,
      status: res.statusCode,
      bytes,
      who: { user: null, session },
      client: req.socket.remoteAddress,
      ua: req.headers['user-agent'],
    });
    const labels = { method: 'GET', route: ROUTE, status: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.fastPathAnswers.inc({ route: ROUTE });
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    logRequest(o.ctx, 'GET', path, res.statusCode, start);
    return true;
  };
}
