import express, { type Request, type Response } from 'express';
import type { ContentView } from '../render/content-view.js';
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
    res.set('ETag', page.etag).set('Cache-Control', 'no-cache');
    let bytes = 0;
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
