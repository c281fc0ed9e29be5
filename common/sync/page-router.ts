import express, { type Request, type Response } from 'express';
import { DAMAGED_STATUS, type ContentView } from '../render/content-view.js';
import { logPageView } from '../logchain/page-log.js';
import type { SiteLog } from '../logchain/site-log.js';
import type { ShopperSessions } from '../users/index.js';

/**
 * Serves a site's pages and release assets from whatever view is current.
 * Pages revalidate by ETag (the release root, the look and the path), so a
 * shopper's browser keeps a page until the next release changes it.
 */
export function createPageRouter(currentView: () => ContentView, log?: SiteLog, sessions?: ShopperSessions): express.Router {
  const r = express.Router();
  const who = (req: express.Request) => {
    const s = sessions?.current(req);
    return s ? { user: s.session.userId, session: s.logId } : undefined;
  };
  r.get(/^\/assets\/.+/, (req, res, next) => {
    const view = currentView();
    const a = view.asset(req.path);
    if (!a) return next();
    if ('damaged' in a) {
      // Never the damaged bytes: a clear 503 that no cache keeps.
      res.status(DAMAGED_STATUS).set('Cache-Control', 'no-store').set('Retry-After', '60').type('text').send('This file is temporarily unavailable: its stored copy is damaged and is being restored.');
      if (log) logPageView(log, req, res, 'asset', 0, view.release?.number ?? null);
      return;
    }
    res.set('ETag', a.etag).set('Cache-Control', 'public, max-age=300');
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type(a.contentType).send(a.data);
    if (log) logPageView(log, req, res, 'asset', a.data.length, view.release?.number ?? null);
  });
  r.get(/.*/, (req, res, next) => {
    const view = currentView();
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (!view.hasPage(path)) return next();
    const page = view.page(path)!;
    let bytes = 0;
    if (page.status === DAMAGED_STATUS) {
      res.status(DAMAGED_STATUS).set('Cache-Control', 'no-store').set('Retry-After', '60').type('html').send(page.html);
      if (log) logPageView(log, req, res, page.kind, Buffer.byteLength(page.html), view.release?.number ?? null, who(req));
      return;
    }
    res.set('ETag', page.etag).set('Cache-Control', 'no-cache');
    if (req.fresh) {
      res.status(304).end();
    } else {
      res.type('html').send(page.html);
      bytes = Buffer.byteLength(page.html);
    }
    if (log) logPageView(log, req, res, page.kind, bytes, view.release?.number ?? null, who(req));
  });
  return r;
}

/** The 404 in the site's own look, for browser requests that matched nothing (logged too). */
export function sitePageNotFound(currentView: () => ContentView, log?: SiteLog) {
  return (req: Request, res: Response, next: express.NextFunction) => {
    if (req.method !== 'GET' || !req.accepts('html')) return next();
    const view = currentView();
    const html = view.notFound(req.path);
    res.status(404).type('html').set('Cache-Control', 'no-store').send(html);
    if (log) logPageView(log, req, res, 'none', Buffer.byteLength(html), view.release?.number ?? null);
  };
}
