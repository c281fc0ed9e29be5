import express, { type Request, type Response } from 'express';
import { defineBanners } from '../../common/web/banners.js';
import { noticesErrors } from './errors.js';
import type { NoticeService } from './notice-service.js';
import type { NoticeFilter, NoticeState } from './notice-store.js';

/** What /admin/notices can say after a redirect. */
export const NOTICES_BANNERS = defineBanners('main notices', {
  retried: { text: '{count} pending channel(s) of the notice are due now.', params: { count: 'int' } },
});

const STATES: readonly NoticeState[] = ['pending', 'delivered'];
const str = (v: unknown, max = 300): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined);

function filterOf(q: Request['query']): NoticeFilter {
  const state = str(q.state);
  return {
    ...(state && (STATES as readonly string[]).includes(state) ? { state: state as NoticeState } : {}),
    ...(str(q.kind) ? { kind: str(q.kind)! } : {}),
    ...(str(q.recipient) ? { recipient: str(q.recipient)! } : {}),
  };
}

/** /admin/notices: the outbox, filterable by state, kind and recipient; a notice's channels and attempts; retry now. */
export function noticesPages(notices: NoticeService): express.Router {
  const r = express.Router();
  r.get('/notices', (req: Request, res: Response) => {
    const filter = filterOf(req.query);
    res.render('main-notices', { title: 'Notices', filter, states: STATES, kinds: notices.kinds(), notices: notices.list(filter), status: notices.status(), banner: NOTICES_BANNERS.read(req.query) });
  });
  r.get('/notices/:id', (req: Request, res: Response) => {
    const n = notices.get(String(req.params.id));
    if (!n) throw noticesErrors.notice_not_found(`no notice "${String(req.params.id)}"`);
    res.render('main-notice', { title: `Notice ${n.id}`, n, status: notices.status(), banner: NOTICES_BANNERS.read(req.query) });
  });
  r.post('/notices/:id/retry', (req: Request, res: Response) => {
    const id = String(req.params.id);
    const count = notices.retryNow(id);
    res.redirect(303, NOTICES_BANNERS.href(`/admin/notices/${encodeURIComponent(id)}`, 'retried', { count }));
  });
  return r;
}

/** /admin/api/notices: the same list and detail as JSON, and retry. */
export function noticesApi(notices: NoticeService): express.Router {
  const r = express.Router();
  r.get('/notices', (req, res) => {
    res.json({ status: notices.status(), notices: notices.list(filterOf(req.query)) });
  });
  r.get('/notices/:id', (req, res) => {
    const n = notices.get(String(req.params.id));
    if (!n) throw noticesErrors.notice_not_found(`no notice "${String(req.params.id)}"`);
    res.json(n);
  });
  r.post('/notices/:id/retry', (req, res) => {
    res.json({ due: notices.retryNow(String(req.params.id)) });
  });
  return r;
}
