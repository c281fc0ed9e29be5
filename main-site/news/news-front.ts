import express, { type Request, type Response } from 'express';
import { formBody } from '../../common/http/bodies.js';
import type { ContentView } from '../../common/render/content-view.js';
import { escapeHtml as e } from '../../common/render/page-renderer.js';
import type { NewsService } from './news-service.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The links in news messages, at the main site: the tracked link (counted,
 * then on to the page on the shopper's own site) and the unsubscribe link
 * (GET shows what it will do and a button; POST does it, which is also what
 * a mail client's one-click unsubscribe sends, RFC 8058). A link whose
 * signature does not match is refused (400 news_link_invalid) and changes
 * nothing.
 */
export function newsFront(news: NewsService, view: () => ContentView): express.Router {
  const r = express.Router();
  const page = (res: Response, status: number, title: string, html: string) => res.status(status).set('Cache-Control', 'no-store').type('html').send(view().wrap(title, html));
  const refused = (res: Response) =>
    page(
      res,
      400,
      'Link not valid',
      '<h1>This link is not valid</h1><p class="error" role="alert" data-code="news_link_invalid">The link was changed or is not one of ours (news_link_invalid). Nothing was changed.</p>',
    );
  const params = (req: Request) => {
    const { c, u, s } = req.params as Record<string, string>;
    return c && u && s && ID.test(c) && ID.test(u) ? { c, u, s } : undefined;
  };

  r.get('/news/open/:c/:u/:s', (req, res) => {
    const p = params(req);
    const to = p && news.open(p.c, p.u, p.s);
    if (!to) return refused(res);
    res.set('Cache-Control', 'no-store').redirect(302, to);
  });
  r.get('/news/unsubscribe/:c/:u/:s', (req, res) => {
    const p = params(req);
    const who = p && news.checkUnsubscribe(p.c, p.u, p.s);
    if (!who) return refused(res);
    page(
      res,
      200,
      'Stop news',
      `<h1>Stop news?</h1><p>We will stop sending news of new products to <strong>${e(who.email)}</strong>. You can turn them on again from your account page.</p>
<form method="post" action="${e(req.originalUrl)}"><button type="submit">Stop sending me news</button></form>`,
    );
  });
  // No CSRF token: the signed link is the credential, and a mail client's one-click POST (List-Unsubscribe=One-Click) carries none.
  r.post('/news/unsubscribe/:c/:u/:s', formBody({ limit: '2kb' }), (req, res) => {
    const p = params(req);
    if (!p || !news.unsubscribe(p.c, p.u, p.s)) return refused(res);
    page(res, 200, 'News stopped', '<h1>News stopped</h1><p role="status">You will get no more news from us. You can turn them on again from your account page.</p>');
  });
  return r;
}
