import express, { type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { publicError } from '../../common/errors.js';
import { formBody } from '../../common/http/bodies.js';
import type { ContentView } from '../../common/render/content-view.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import type { SiteContext } from '../../common/site/context.js';
import { randomToken, safeEqual } from '../../common/web/tokens.js';
import type { Bill, Delivered, PlannedBackend, SaleItem } from '../../common/planned/index.js';
import type { PlannedService } from './planned-service.js';

/** The main site processes its own planned-page orders: the same service partners forward to. */
export function mainBackend(planned: PlannedService, siteId: string): PlannedBackend {
  const bill = (page: string, item: SaleItem): Bill => {
    const q = planned.quote(siteId, page, item);
    return {
      page: q.page.id,
      pageTitle: q.page.spec.title,
      planner: { id: q.planner.partyId, name: q.planner.displayName },
      item,
      itemTitle: q.item.title,
      price: q.price,
      formats: q.page.spec.formats,
    };
  };
  return {
    bill,
    place: (user, b, idempotencyKey) => Promise.resolve(planned.placeOrder(siteId, { idempotencyKey, user, planner: b.planner.id, page: b.page, items: [b.item], price: b.price })),
    deliver: async (user, order, format, contribution, client): Promise<Delivered> => planned.deliver(siteId, { user, order, format, contribution }, client),
    orders: (user) => planned.ordersOf(user, siteId),
  };
}

/**
 * Public forms at the main site: a planner's application and a contributor's
 * registration (seed claim 5: "inviting registration of plans"). Before any
 * login, so a double-submit token guards them, as the portal's login does.
 */
export function publicForms(ctx: SiteContext, planned: PlannedService, view: () => ContentView): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '16kb' });
  const cookieName = `tieup_${ctx.config.siteId}_planned_csrf`;
  const token = (res: Response) => {
    const t = randomToken(24);
    res.cookie(cookieName, t, { httpOnly: true, sameSite: 'lax', secure: ctx.config.cookieSecure, path: '/', maxAge: 30 * 60_000 });
    return t;
  };
  const tokenOk = (req: Request) => {
    const f = (req.body as Record<string, unknown> | undefined)?._csrf;
    const c = parseCookies(req.headers.cookie ?? '')[cookieName];
    return typeof f === 'string' && typeof c === 'string' && safeEqual(f, c);
  };
  const page = (res: Response, status: number, title: string, html: string) => res.status(status).set('Cache-Control', 'no-store').type('html').send(view().wrap(title, html));
  const v = (req: Request, k: string) => {
    const x = (req.body as Record<string, unknown> | undefined)?.[k];
    return typeof x === 'string' ? x : '';
  };

  const applyForm = (res: Response, values: Record<string, string>, error?: string) =>
    `<h1>Apply as a planner</h1><p>Planners open planned pages here: contributors fill them, shoppers on every site of the network buy them, and every party gets its share by contract. The operator reads your application and, when it is approved, sends you a link to the portal with your contract.</p>` +
    (error ? `<p class="error" role="alert">${esc(error)}</p>` : '') +
    `<form method="post" action="/planned-apply" class="account-form"><input type="hidden" name="_csrf" value="${token(res)}">` +
    `<label>Your name or your organisation's <input name="displayName" required maxlength="120" value="${esc(values.displayName ?? '')}"></label>` +
    `<label>E-mail <input name="email" type="email" required value="${esc(values.email ?? '')}"></label>` +
    `<label>Home page name (your address will be /planners/<em>name</em>) <input name="slug" required pattern="[a-z0-9][a-z0-9-]{1,39}" value="${esc(values.slug ?? '')}"></label>` +
    `<label>What you plan <textarea name="pitch" rows="5" required>${esc(values.pitch ?? '')}</textarea></label>` +
    `<button type="submit">Send the application</button></form>`;
  r.get('/planned-apply', (_req, res) => page(res, 200, 'Apply as a planner', applyForm(res, {})));
  r.post('/planned-apply', form, (req, res) => {
    const values = { displayName: v(req, 'displayName'), email: v(req, 'email'), slug: v(req, 'slug'), pitch: v(req, 'pitch') };
    if (!tokenOk(req)) return page(res, 403, 'Apply as a planner', applyForm(res, values, 'The form expired or was not sent from this page. Please send it again.'));
    try {
      const a = planned.apply(values);
      page(
        res,
        201,
        'Application received',
        `<h1>Application received</h1><p data-application="${esc(a.id)}">Thank you. The operator will decide on your application; you will get an e-mail at ${esc(a.email)}.</p>`,
      );
    } catch (err) {
      const p = publicError(err);
      page(res, p.status, 'Apply as a planner', applyForm(res, values, p.body.error.message));
    }
  });

  const registerForm = (res: Response, values: Record<string, string>, error?: string) =>
    `<h1>Register as a contributor</h1><p>Contributors send text, pictures and files to planned pages and are paid a share of their sales by each page's terms.</p>` +
    (error ? `<p class="error" role="alert">${esc(error)}</p>` : '') +
    `<form method="post" action="/planned-register" class="account-form"><input type="hidden" name="_csrf" value="${token(res)}">` +
    `<label>Your name <input name="displayName" required maxlength="120" value="${esc(values.displayName ?? '')}"></label>` +
    `<label>E-mail <input name="email" type="email" required value="${esc(values.email ?? '')}"></label><button type="submit">Register</button></form>`;
  r.get('/planned-register', (_req, res) => page(res, 200, 'Register as a contributor', registerForm(res, {})));
  r.post('/planned-register', form, (req, res) => {
    const values = { displayName: v(req, 'displayName'), email: v(req, 'email') };
    if (!tokenOk(req)) return page(res, 403, 'Register as a contributor', registerForm(res, values, 'The form expired or was not sent from this page. Please send it again.'));
    try {
      planned.registerContributor(values);
      // The same answer whether or not the address was registered: the page tells nobody who is.
      page(res, 201, 'Check your e-mail', `<h1>Check your e-mail</h1><p>We sent a link to ${esc(values.email)} to set your portal password.</p>`);
    } catch (err) {
      const p = publicError(err);
      page(res, p.status, 'Register as a contributor', registerForm(res, values, p.body.error.message));
    }
  });
  return r;
}
