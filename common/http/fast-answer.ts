import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SiteContext } from '../site/context.js';
import { logRequest, securityHeaders } from './base-app.js';

const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/**
 * The shared half of the fast paths (shop product pages, planned pages) that
 * answer an anonymous GET before express: the same headers, conditional
 * answer, metrics and request log line express would give, without its
 * per-request prototype work (expressjs/express#5998).
 */

/** express's req.fresh for an answer with an ETag and no Last-Modified. */
export function isFresh(req: IncomingMessage, etag: string): boolean {
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

/** helmet's headers, set synchronously; false when helmet refused (the caller hands the request to express). */
export function fastSecurityHeaders(ctx: SiteContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  const helmet = securityHeaders(ctx);
  return (req, res) => {
    let handled = true;
    // helmet is synchronous: it sets its headers and calls next before returning.
    helmet(req, res, (err?: unknown) => {
      if (err) handled = false;
    });
    return handled;
  };
}

/** Sends `body` as HTML under `etag`, or 304 when the client holds it; the bytes sent. */
export function sendHtmlOrNotModified(req: IncomingMessage, res: ServerResponse, etag: string, body: () => Buffer): number {
  res.setHeader('ETag', etag);
  if (isFresh(req, etag)) {
    res.statusCode = 304;
    res.end();
    return 0;
  }
  const bytes = body();
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.statusCode = 200;
  res.end(bytes);
  return bytes.length;
}

/** The metrics and the request log line of a fast answer, as express's middleware would record them. */
export function recordFastAnswer(ctx: SiteContext, route: string, path: string, status: number, start: bigint): void {
  const labels = { method: 'GET', route, status: String(status) };
  ctx.metrics.httpRequests.inc(labels);
  ctx.metrics.fastPathAnswers.inc({ route });
  ctx.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  logRequest(ctx, 'GET', path, status, start);
}
