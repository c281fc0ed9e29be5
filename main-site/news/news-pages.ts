import { plural } from '../../common/web/format.js';
import { spreadsheetSafe } from '../../common/web/csv.js';
import { stringify } from 'csv-stringify/sync';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { newsPath } from '../../common/protocol/index.js';
import { defineBanners } from '../../common/web/banners.js';
import { confirmFirst } from '../../common/web/confirm.js';
import type { NewsService } from './news-service.js';

/** What /admin/news can say after a redirect. */
export const NEWS_BANNERS = defineBanners('main news', {
  sent: { text: 'Campaign sent to {count#shopper/shoppers}.', params: { count: 'int' } },
  already: { text: 'That campaign was already sent (to {count#shopper/shoppers}); nothing more was sent.', params: { count: 'int' } },
});

const siteParam = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a site id')
  .optional()
  .or(z.literal(''));
const filterSchema = z.object({ sender: siteParam, site: siteParam });
const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** A spreadsheet would run a text that starts with =, +, -, @, tab or CR as a formula: subjects are typed by people. */

/** The compose form's fields as given (a preview keeps them; a send parses them). */
function composeOf(src: Record<string, unknown>) {
  return {
    key: str(src.key, 64),
    subject: str(src.subject, 200),
    text: str(src.text, 20_000),
    link: str(src.link, 300),
    site: str(src.site, 32),
    viewed: str(src.viewed, 300),
  };
}
type Compose = ReturnType<typeof composeOf>;

const audienceOf = (c: Compose) => ({ site: c.site === '' ? null : c.site, viewed: c.viewed.trim() === '' ? null : c.viewed.trim() });

/**
 * /admin/news: compose a new-product notice (subject, text, the page or
 * product it links to), choose its audience (site registered on, page
 * viewed), preview how many opted-in shoppers it reaches, send after a
 * confirmation (it cannot be recalled); then every campaign's figures per
 * site (sent, opened through the tracked link, unsubscribed), filterable, as CSV too.
 */
export function newsPages(news: NewsService): express.Router {
  const r = express.Router();
  const count = (c: Compose): { count: number } | { problem: string } => {
    const viewed = audienceOf(c).viewed;
    if (viewed !== null && !newsPath.safeParse(viewed).success) return { problem: 'viewed: a path on the site, starting with "/"' };
    if (c.site !== '' && !news.sites().includes(c.site)) return { problem: `site: no site "${c.site}"` };
    return { count: news.audience(audienceOf(c)).length };
  };

  const render = (req: Request, res: Response, compose: Compose, preview: boolean) => {
    const f = filterSchema.safeParse(req.query);
    const filter = f.success ? { sender: f.data.sender || undefined, site: f.data.site || undefined } : {};
    if (!compose.key) compose.key = news.newKey();
    res.render('main-news', {
      title: 'News',
      compose,
      preview: preview ? count(compose) : null,
      sites: news.sites(),
      filter,
      figureSites: news.store.sites(),
      figures: news.figures(filter),
      banner: NEWS_BANNERS.read(req.query),
    });
  };
  r.get('/news', (req: Request, res: Response) => render(req, res, composeOf(req.query as Record<string, unknown>), req.query.preview !== undefined));
  // The form's "Preview audience": a POST, so the form's CSRF token never lands in a URL; it changes nothing.
  r.post('/news/preview', (req: Request, res: Response) => render(req, res, composeOf((req.body ?? {}) as Record<string, unknown>), true));

  r.get('/news.csv', (req: Request, res: Response) => {
    const f = filterSchema.safeParse(req.query);
    if (!f.success) {
      const i = f.error.issues[0]!;
      res
        .status(400)
        .type('text/plain')
        .send(`${i.path.join('.') || 'query'}: ${i.message}\n`);
      return;
    }
    const rows = news
      .figures({ sender: f.data.sender || undefined, site: f.data.site || undefined })
      .map((x) => [x.campaign, x.createdAt, x.sender, x.subject, x.link, x.site ?? '', x.sent, x.opened, x.unsubscribed]);
    const csv = stringify([['campaign', 'created_at', 'sender', 'subject', 'link', 'site', 'sent', 'opened', 'unsubscribed'], ...rows], {
      record_delimiter: 'windows',
      cast: { string: spreadsheetSafe },
    });
    const name = ['news', f.data.sender, f.data.site].filter(Boolean).join('-');
    res.type('text/csv').set('Content-Disposition', `attachment; filename="${name}.csv"`).send(csv);
  });

  r.post(
    '/news/send',
    confirmFirst((req) => {
      const c = composeOf((req.body ?? {}) as Record<string, unknown>);
      const n = count(c);
      const who = 'count' in n ? plural(n.count, 'opted-in shopper') : `no one yet (${n.problem})`;
      return {
        title: `Send "${c.subject}"?`,
        consequence: `This e-mails ${who}${c.site ? ` registered on ${c.site}` : ' of every site'}${audienceOf(c).viewed ? ` who viewed ${audienceOf(c).viewed}` : ''}. A sent campaign cannot be recalled.`,
        confirmLabel: 'Send the campaign',
        back: `/admin/news?${new URLSearchParams({ ...c, preview: '1' }).toString()}`,
      };
    }),
  );
  r.post('/news/send', (req: Request, res: Response) => {
    const c = composeOf((req.body ?? {}) as Record<string, unknown>);
    const sent = news.send(news.siteId, { key: c.key, subject: c.subject, text: c.text, link: c.link, audience: audienceOf(c) }, req.consoleUser?.username ?? 'operator');
    res.redirect(303, NEWS_BANNERS.href('/admin/news', sent.created ? 'sent' : 'already', { count: sent.recipients }));
  });
  return r;
}
