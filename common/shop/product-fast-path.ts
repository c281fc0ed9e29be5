import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastSecurityHeaders, recordFastAnswer, sendHtmlOrNotModified } from '../http/fast-answer.js';
import { logPageHit } from '../logchain/page-log.js';
import type { ContentView } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';
import type { CartCookie } from './cart-cookie.js';
import { servedProductPage, type ShopBackend } from './shop-routes.js';

const PRODUCT_URL = /^\/shop\/product\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})(?:\?.*)?$/;
const ROUTE = '/shop/product/:id';

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
  const helmet = fastSecurityHeaders(o.ctx);
  const { log } = o.ctx;
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
    if (!helmet(req, res)) return false;
    let cartId = o.cartCookie.read(cookies);
    const session = cartId ? o.cartCookie.logId(cartId) : null;
    if (!cartId) {
      const c = o.cartCookie.issue();
      cartId = c.id;
      res.setHeader('Set-Cookie', c.header);
    }
    const page = servedProductPage(view, o.backend, o.cartCookie, id, cartId)!;
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Cookie');
    const bytes = sendHtmlOrNotModified(req, res, page.etag, () => page.body);
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
    recordFastAnswer(o.ctx, ROUTE, path, res.statusCode, start);
    return true;
  };
}
