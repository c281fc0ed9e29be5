import express, { type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { publicError } from '../../common/errors.js';
import { MultipartError, readMultipart } from '../../common/planned/index.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import type { SiteContext } from '../../common/site/context.js';
import { safeEqual } from '../../common/web/tokens.js';
import type { NoticeService } from '../notices/index.js';
import { portalNav, type PortalService } from '../portal/index.js';
import type { PlannedService } from './planned-service.js';

/**
 * POST /portal/contribute/pages/<page>/contribute: the contribution form,
 * multipart because it may carry a file. The portal's own guard reads only
 * URL-encoded forms (16 kB), so this route answers first, with the same
 * checks: a full portal session of a contributor and the session's CSRF
 * token (a field of the multipart form). Mounted before the portal's routes.
 */
export function contributeUpload(ctx: SiteContext, planned: PlannedService, portal: PortalService, notices: NoticeService): express.Router {
  const r = express.Router();
  const cookie = `tieup_${ctx.config.siteId}_portal`;
  r.post('/portal/contribute/pages/:id/contribute', async (req: Request, res: Response) => {
    const sid = parseCookies(req.headers.cookie ?? '')[cookie];
    const s = sid ? portal.session(sid) : undefined;
    if (!s || s.stage !== 'full') {
      req.resume();
      return res.status(401).type('text/plain').send('Your session has ended. Please log in again.');
    }
    const page = String(req.params.id);
    const render = (status: number, html: string) =>
      res.status(status).render('planned-portal', {
        title: 'Contribution',
        body: html,
        party: s.party,
        csrfToken: s.csrfToken,
        portalNav: portalNav(portal, s.party, notices.unread(s.party.id), req.originalUrl),
        unread: notices.unread(s.party.id),
        siteId: ctx.config.siteId,
        basePath: '/portal',
      });
    const back = `<p><a href="/portal/contribute/pages/${esc(page)}">Back to the page</a></p>`;
    if (s.party.kind !== 'contributor') {
      req.resume();
      return render(404, '<h1>Not found</h1><p>There is no such page.</p>');
    }
    let form;
    try {
      // The file, the text and the fields, with room for the multipart framing.
      form = await readMultipart(req, planned.maxFileBytes() + 128 * 1024);
    } catch (err) {
      if (err instanceof MultipartError) return render(err.status, `<h1>Not sent</h1><p class="error" role="alert">${esc(err.message)}</p>${back}`);
      throw err;
    }
    const f = form.fields;
    if (!f._csrf || !safeEqual(f._csrf, s.csrfToken))
      return render(403, `<h1>Form expired</h1><p class="error" role="alert">The form expired or was not sent from this page (CSRF check). Nothing was sent.</p>${back}`);
    try {
      const c = planned.contribute(
        s.party.id,
        page,
        { section: f.section ?? '', kind: f.kind ?? '', title: f.title ?? '', teaser: f.teaser ?? '', body: f.body ?? '' },
        form.file ? { name: form.file.name, data: form.file.data } : null,
      );
      res.redirect(303, `/portal/contribute/contributions/${c.id}`);
    } catch (err) {
      const p = publicError(err);
      render(p.status, `<h1>Not sent</h1><p class="error" role="alert">${esc(p.body.error.message)}</p>${back}`);
    }
  });
  return r;
}
