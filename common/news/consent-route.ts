import express, { type Request, type Response } from 'express';
import { formBody } from '../http/bodies.js';
import type { ContentView } from '../render/content-view.js';
import { escapeHtml } from '../render/page-renderer.js';
import type { ShopperSessions } from '../users/index.js';
import { safeEqual } from '../web/tokens.js';

/**
 * POST /account/news on either site: the signed-in shopper turns news on or
 * off from the account page, under the session's CSRF token. `set` stores it
 * at the main site (directly there, over s2s on a partner).
 */
export function consentRoute(o: { sessions: ShopperSessions; view: () => ContentView; set: (userId: string, optedIn: boolean) => Promise<void> | void }): express.Router {
  const r = express.Router();
  const page = (res: Response, status: number, text: string) =>
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(o.view().wrap('News', `<h1>News</h1><p class="error" role="alert">${escapeHtml(text)}</p><p><a href="/account">Back to your account</a></p>`));
  r.post('/account/news', formBody({ limit: '4kb' }), async (req: Request, res: Response, next) => {
    const cur = o.sessions.current(req);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (!cur) return void res.redirect(303, '/account/login?next=/account');
    if (typeof b._csrf !== 'string' || !safeEqual(b._csrf, cur.session.csrfToken)) return page(res, 403, 'Invalid or missing form token (CSRF). Reload your account page and try again.');
    if (b.news !== 'yes' && b.news !== 'no') return page(res, 400, 'Say yes or no to news.');
    try {
      await o.set(cur.session.userId, b.news === 'yes');
      res.redirect(303, '/account');
    } catch (err) {
      next(err);
    }
  });
  return r;
}
