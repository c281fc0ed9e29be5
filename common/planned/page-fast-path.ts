import type { IncomingMessage, ServerResponse } from 'node:http';
import { logRequest, securityHeaders } from '../http/base-app.js';
import { logPageHit } from '../logchain/page-log.js';
import { DAMAGED_STATUS, type ContentView, type ServedPage } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';

const PAGE_URL = /^\/planned\/(pp-[0-9a-f]{12})\/?(?:\?.*)?$/;
const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;
const ROUTE = '/planned/:page';

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
 * Answers an anonymous shopper's GET of a planned page before express, as
 * the shop's product pages are (common/shop/product-fast-path.ts): the page
 * is a tie-up page of the release, built once per view, so what is left is
 * the headers and the page log entry the page router would write. Requests
 * with a shopper session, damaged pages and anything else go to the page
 * router, which sends the same bytes and entry.
 */
export function plannedPageFastPath(o: {
  ctx: SiteContext;
  view: () => ContentView;
  sessionCookieName: string;
  /** Whether this site may show the page (a partner the planner's contract does not name answers through express: 404). */
  carries?: (page: string) => boolean;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const helmet = securityHeaders(o.ctx);
  const { metrics, log } = o.ctx;
  // The encoded body per served page (a new view renders new page objects, so old ones drop out).
  const bodies = new WeakMap<ServedPage, Buffer>();
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const m = PAGE_URL.exec(req.url ?? '');
    if (!m) return false;
    if (req.headers.cookie?.includes(o.sessionCookieName + '=')) return false;
    if (o.carries && !o.carries(m[1]!)) return false;
    const view = o.view();
    const path = `/planned/${m[1]!}`;
    if (!view.hasPage(path)) return false;
    const page = view.page(path);
    if (!page || page.status === DAMAGED_STATUS) return false;
    const start = process.hrtime.bigint();
    let handled = true;
    helmet(req, res, (err?: unknown) => {
      if (err) handled = false;
    });
    if (!handled) return false;
    res.setHeader('ETag', page.etag);
    res.setHeader('Cache-Control', 'no-cache');
    let bytes = 0;
    if (isFresh(req, page.etag)) {
      res.statusCode = 304;
      res.end();
    } else {
      let body = bodies.get(page);
      if (!body) bodies.set(page, (body = Buffer.from(page.html)));
      bytes = body.length;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', bytes);
      res.statusCode = 200;
      res.end(body);
    }
    const urlPath = req.url!.split('?')[0]!;
    logPageHit(log, { path: urlPath, kind: page.kind, release: view.release?.number ?? null, status: res.statusCode, bytes, client: req.socket.remoteAddress, ua: req.headers['user-agent'] });
    const labels = { method: 'GET', route: ROUTE, status: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.fastPathAnswers.inc({ route: ROUTE });
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    logRequest(o.ctx, 'GET', urlPath, res.statusCode, start);
    return true;
  };
}
