import type express from 'express';
import type { ContentView } from '../render/content-view.js';
import type { SiteContext } from '../site/context.js';
import type { ShopperSessions } from '../users/index.js';
import { createPageRouter, sitePageNotFound } from './page-router.js';

/** The shopper-facing catch-alls of a site: the pages of its current view, then the 404 in the site's look. */
export function siteFront(app: express.Express, ctx: SiteContext, view: () => ContentView, sessions: ShopperSessions): void {
  app.use(createPageRouter(view, ctx.log, sessions));
  app.use(sitePageNotFound(view, ctx.log));
}
