import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastSecurityHeaders, recordFastAnswer, sendHtmlOrNotModified } from '../http/fast-answer.js';
import { logPageHit } from '../logchain/page-log.js';
import { DAMAGED_STATUS, type ContentView, type ServedPage } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';

const PAGE_URL = /^\/planned\/(pp-[0-9a-f]{12})\/?(?:\?.*)?$/;
const ROUTE = '/planned/:page';

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
  const helmet = fastSecurityHeaders(o.ctx);
  const { log } = o.ctx;
  // The encoded body per served page (a new view renders new page objects, so old ones drop out).
  const bodies = new WeakMap<ServedPage, Buffer>();
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const m = PAGE_URL.exec(req.url ?? '');
    if (!m) return false;
    if (req.headers.cookie?.includes(o.sessionCookieName + '=')) return false;
    const view = o.view();
    const path = `/planned/${m[1]!}`;
    if (!view.hasPage(path)) return false;
    if (o.carries && !o.carries(m[1]!)) return false;
    const page = view.page(path);
    if (!page || page.status === DAMAGED_STATUS) return false;
    const start = process.hrtime.bigint();
    if (!helmet(req, res)) return false;
    res.setHeader('Cache-Control', 'no-cache');
    const bytes = sendHtmlOrNotModified(req, res, page.etag, () => {
      let body = bodies.get(page);
      if (!body) bodies.set(page, (body = Buffer.from(page.html)));
      return body;
    });
    const urlPath = req.url!.split('?')[0]!;
    logPageHit(log, { path: urlPath, kind: page.kind, release: view.release?.number ?? null, status: res.statusCode, bytes, client: req.socket.remoteAddress, ua: req.headers['user-agent'] });
    recordFastAnswer(o.ctx, ROUTE, urlPath, res.statusCode, start);
    return true;
  };
}
