import express, { type Request, type Response } from 'express';
import { AppError } from '../../common/errors.js';
import { newsPath, newsSendRequest } from '../../common/protocol/index.js';
import { partnerNewsErrors } from './errors.js';
import { defineBanners } from '../../common/web/banners.js';
import { confirmFirst } from '../../common/web/confirm.js';
import type { PartnerNews, PartnerNewsReport } from './partner-news.js';

export const PARTNER_NEWS_BANNERS = defineBanners('partner news', {
  sent: { text: 'Campaign sent to {count#shopper/shoppers}.', params: { count: 'int' } },
  already: { text: 'That campaign was already sent (to {count#shopper/shoppers}); nothing more was sent.', params: { count: 'int' } },
});

const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');
const composeOf = (src: Record<string, unknown>) => ({ key: str(src.key, 64), subject: str(src.subject, 200), text: str(src.text, 20_000), link: str(src.link, 300), viewed: str(src.viewed, 300) });
type Compose = ReturnType<typeof composeOf>;
const viewedOf = (c: Compose): string | null => (c.viewed.trim() === '' ? null : c.viewed.trim());
const message = (err: unknown): string => (err instanceof AppError && err.expose ? `${err.message} (${err.code})` : 'the main site could not answer');
const viewedOk = (c: Compose) => viewedOf(c) === null || newsPath.safeParse(viewedOf(c)).success;

/**
 * /manage/news: how this site's shoppers responded to every news campaign that
 * reached them (sent, opened, unsubscribed), from the main site; and, when
 * the contract grants this site its shoppers' data, a compose form that sends
 * to this site's own opted-in shoppers after a confirmation.
 */
export function partnerNewsPages(news: PartnerNews): express.Router {
  const r = express.Router();
  const render = async (req: Request, res: Response, compose: Compose, wantPreview: boolean) => {
    let report: PartnerNewsReport | null = null;
    let problem: string | null = null;
    try {
      report = await news.report();
    } catch (err) {
      problem = message(err);
    }
    if (!compose.key) compose.key = news.newKey();
    let preview: { count: number } | { problem: string } | null = null;
    if (wantPreview && report?.granted) {
      if (!viewedOk(compose)) preview = { problem: 'viewed: a path on the site, starting with "/"' };
      else
        try {
          preview = await news.preview(viewedOf(compose));
        } catch (err) {
          preview = { problem: message(err) };
        }
    }
    res.render('partner-news', { title: 'News', report, problem, compose, preview, banner: PARTNER_NEWS_BANNERS.read(req.query) });
  };
  r.get('/news', (req: Request, res: Response) => render(req, res, composeOf(req.query as Record<string, unknown>), req.query.preview !== undefined));
  // The form's "Preview audience": a POST, so the form's CSRF token never lands in a URL; it changes nothing.
  r.post('/news/preview', (req: Request, res: Response) => render(req, res, composeOf((req.body ?? {}) as Record<string, unknown>), true));
  r.post(
    '/news/send',
    confirmFirst((req) => {
      const c = composeOf((req.body ?? {}) as Record<string, unknown>);
      return {
        title: `Send "${c.subject}" to your shoppers?`,
        consequence: `This e-mails every shopper who registered here and asked for news${viewedOf(c) ? `, and viewed ${viewedOf(c)}` : ''}, through the main site. A sent campaign cannot be recalled.`,
        confirmLabel: 'Send the campaign',
        back: `/manage/news?${new URLSearchParams({ ...c, preview: '1' }).toString()}`,
      };
    }),
  );
  r.post('/news/send', async (req: Request, res: Response) => {
    const c = composeOf((req.body ?? {}) as Record<string, unknown>);
    const parsed = newsSendRequest.safeParse({ key: c.key, subject: c.subject, text: c.text, link: c.link, audience: { viewed: viewedOf(c) } });
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'campaign'}: ${i.message}`);
      throw partnerNewsErrors.invalid_campaign(problems.join('; '), { problems });
    }
    const sent = await news.send(parsed.data);
    res.redirect(303, PARTNER_NEWS_BANNERS.href('/manage/news', sent.created ? 'sent' : 'already', { count: sent.recipients }));
  });
  return r;
}
