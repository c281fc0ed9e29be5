import { currentHref } from '../../common/site/console-routes.js';
import { timeTag } from '../../common/web/format.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { randomToken, safeEqual } from '../../common/web/tokens.js';
import { defineBanners } from '../../common/web/banners.js';
import type { SiteContext } from '../../common/site/context.js';
import type { NoticeService } from '../notices/index.js';
import { PARTY_KIND_LABELS, type PortalSection, type PortalService, type SectionTools } from './portal-service.js';
import type { Party } from './party-store.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in portal party, set from the session by the portal's guard. */
    party?: Party;
  }
}

/** What portal pages can say after a redirect. */
export const PORTAL_BANNERS = defineBanners('portal', {
  password_set: { text: 'Your password is set. Log in with your e-mail address and the new password.' },
  logged_out: { text: 'You are logged out.' },
  totp_enabled: { text: 'Two-factor login is on: from now on, login asks for a code from your authenticator app.' },
  totp_disabled: { text: 'Two-factor login is off.' },
  webhook_saved: { text: 'Your webhook address is saved.' },
});

const BASE = '/portal';

/** The signed-in party of a portal request (the guard has checked the session). */
/** The portal header's links for a party, the page shown marked (as the consoles' header does; a section's pages sit under its folder). */
export function portalNav(portal: PortalService, party: Party, unread: number, url: string): { href: string; title: string; current: boolean }[] {
  const links = [
    { href: `${BASE}/`, title: 'Home' },
    ...portal.sectionsFor(party.kind).map((x) => ({ href: `${BASE}/${x.id}/`, title: x.title })),
    { href: `${BASE}/inbox`, title: unread ? `Inbox (${unread})` : 'Inbox' },
    { href: `${BASE}/account`, title: 'Account' },
  ];
  const here = currentHref(links, url.split('?')[0]!);
  return links.map((l) => ({ ...l, current: l.href === here }));
}

export function partyOf(req: Request): Party {
  if (!req.party) throw new Error('portal route reached without a signed-in party');
  return req.party;
}

/**
 * The portal's browser pages at /portal: login (password, then a TOTP code
 * when enabled), invitation links, the home page with the sections the
 * party's kind may see, the inbox, the account page, and the sections other
 * capabilities add. Every page after login reads the party from the session
 * on the server; every form carries the session's CSRF token.
 */
export function portalFront(ctx: SiteContext, portal: PortalService, notices: NoticeService): express.Router {
  const sessionCookie = `tieup_${ctx.config.siteId}_portal`;
  const preCsrfCookie = `tieup_${ctx.config.siteId}_portal_csrf`;
  const cookieOpts = (maxAge?: number) => ({ httpOnly: true, sameSite: 'lax' as const, secure: ctx.config.cookieSecure, path: BASE, ...(maxAge ? { maxAge } : {}) });
  const cookies = (req: Request) => parseCookies(req.headers.cookie ?? '');
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const field = (req: Request, name: string): string => {
    const v = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v : '';
  };
  const ip = (req: Request): string => req.ip ?? 'unknown';
  const common = { siteId: ctx.config.siteId, basePath: BASE };

  /** Pages before login: a double-submit token (cookie + field), as the consoles' login does. */
  const preToken = (res: Response): string => {
    const t = randomToken(24);
    res.cookie(preCsrfCookie, t, cookieOpts(30 * 60_000));
    return t;
  };
  const preCsrfOk = (req: Request): boolean => {
    const f = field(req, '_csrf');
    const c = cookies(req)[preCsrfCookie];
    return !!f && !!c && safeEqual(f, c);
  };
  const csrfRefused = (res: Response) =>
    res
      .status(403)
      .render('portal-message', { ...common, title: 'Form refused', party: null, message: 'The form expired or was not sent from this page (CSRF check). Go back, reload and try again.' });

  const r = express.Router();
  r.use((_req, res, next) => {
    // Portal pages carry a party's own data and per-session tokens: never cached.
    res.set('Cache-Control', 'no-store');
    next();
  });

  const renderLogin = (res: Response, status: number, error?: string, email = '', banner: ReturnType<typeof PORTAL_BANNERS.read> = null) =>
    res.status(status).render('portal-login', { ...common, title: 'Portal login', party: null, csrfToken: preToken(res), error, email, banner });

  r.get('/login', (req, res) => renderLogin(res, 200, undefined, '', PORTAL_BANNERS.read(req.query)));
  r.post('/login', form, async (req, res, next) => {
    try {
      if (!preCsrfOk(req)) return renderLogin(res, 403, 'The form expired or was not sent from this page (CSRF check). Please try again.');
      const email = field(req, 'email').trim().slice(0, 254);
      const result = await portal.login(email, field(req, 'password'), ip(req));
      if (!result.ok) {
        if (result.reason === 'throttled') {
          res.set('Retry-After', String(result.retryAfter));
          return renderLogin(res, 429, `Too many failed logins. Try again in ${Math.ceil(result.retryAfter / 60)} minute(s).`, email);
        }
        return renderLogin(res, 401, 'Wrong e-mail address or password.', email);
      }
      res.clearCookie(preCsrfCookie, { path: BASE });
      if (result.stage === 'totp') {
        res.cookie(sessionCookie, result.sid, cookieOpts(5 * 60_000));
        return res.redirect(303, `${BASE}/login/code`);
      }
      res.cookie(sessionCookie, result.sid, cookieOpts(ctx.config.portalSessionHours * 3600_000));
      res.redirect(303, `${BASE}/`);
    } catch (err) {
      next(err);
    }
  });

  /** The TOTP step: the half-way session's own CSRF token guards its form. */
  const halfSession = (req: Request) => {
    const sid = cookies(req)[sessionCookie];
    const s = sid ? portal.session(sid) : undefined;
    return sid && s && s.stage === 'totp' ? { sid, s } : undefined;
  };
  const renderCode = (res: Response, status: number, csrfToken: string, error?: string) => res.status(status).render('portal-code', { ...common, title: 'Login code', party: null, csrfToken, error });
  r.get('/login/code', (req, res) => {
    const h = halfSession(req);
    if (!h) return res.redirect(303, `${BASE}/login`);
    renderCode(res, 200, h.s.csrfToken);
  });
  r.post('/login/code', form, (req, res) => {
    const h = halfSession(req);
    if (!h) return res.redirect(303, `${BASE}/login`);
    if (!safeEqual(field(req, '_csrf'), h.s.csrfToken)) return csrfRefused(res);
    const result = portal.loginTotp(h.sid, field(req, 'code'), ip(req));
    if (!result.ok) {
      if (result.reason === 'throttled') {
        res.set('Retry-After', String(result.retryAfter));
        return renderCode(res, 429, h.s.csrfToken, `Too many failed logins. Try again in ${Math.ceil(result.retryAfter / 60)} minute(s).`);
      }
      return renderCode(res, 401, h.s.csrfToken, 'That code is wrong or was already used. Enter the current code from your authenticator app.');
    }
    res.cookie(sessionCookie, result.sid, cookieOpts(ctx.config.portalSessionHours * 3600_000));
    res.redirect(303, `${BASE}/`);
  });

  const inviteRefused = (res: Response) =>
    res
      .status(410)
      .render('portal-message', { ...common, title: 'Invitation not valid', party: null, message: 'This invitation link has expired or was already used. Ask the operator to send a new one.' });
  r.get('/invite/:token', (req, res) => {
    const p = portal.invitationParty(String(req.params.token));
    if (!p) return inviteRefused(res);
    res.render('portal-invite', { ...common, title: 'Set your password', party: null, invited: p, kindLabel: PARTY_KIND_LABELS[p.kind], csrfToken: preToken(res), error: null });
  });
  r.post('/invite/:token', form, async (req, res, next) => {
    try {
      const token = String(req.params.token);
      const p = portal.invitationParty(token);
      if (!p) return inviteRefused(res);
      if (!preCsrfOk(req)) return csrfRefused(res);
      const password = field(req, 'password');
      const again = (error: string) =>
        res.status(400).render('portal-invite', { ...common, title: 'Set your password', party: null, invited: p, kindLabel: PARTY_KIND_LABELS[p.kind], csrfToken: preToken(res), error });
      if (password !== field(req, 'confirm')) return again('The two passwords differ.');
      const result = await portal.acceptInvitation(token, password);
      if (!result.ok) return result.reason === 'invalid' ? inviteRefused(res) : again(result.message);
      res.clearCookie(preCsrfCookie, { path: BASE });
      res.redirect(303, PORTAL_BANNERS.href(`${BASE}/login`, 'password_set'));
    } catch (err) {
      next(err);
    }
  });

  // Everything below: a full session, its party active, and the session's CSRF token on every unsafe method.
  const guard = (req: Request, res: Response, next: NextFunction) => {
    const sid = cookies(req)[sessionCookie];
    const s = sid ? portal.session(sid) : undefined;
    if (!s || s.stage !== 'full') {
      if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, `${BASE}/login`);
      res.status(401).type('text/plain').send('Your session has ended. Please log in again.');
      return;
    }
    req.party = s.party;
    res.locals.party = s.party;
    res.locals.csrfToken = s.csrfToken;
    res.locals.unread = notices.unread(s.party.id);
    res.locals.portalNav = portalNav(portal, s.party, res.locals.unread as number, req.originalUrl);
    res.locals.siteId = ctx.config.siteId;
    res.locals.basePath = BASE;
    // Instants read one way everywhere: local, the UTC instant on hover.
    res.locals.time = timeTag;
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    form(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!safeEqual(field(req, '_csrf'), s.csrfToken)) return csrfRefused(res);
      next();
    });
  };
  r.use(guard);

  r.post('/logout', (req, res) => {
    const sid = cookies(req)[sessionCookie];
    if (sid) portal.logout(sid);
    res.clearCookie(sessionCookie, { path: BASE });
    res.redirect(303, PORTAL_BANNERS.href(`${BASE}/login`, 'logged_out'));
  });

  r.get('/', (req, res) => {
    const party = partyOf(req);
    res.render('portal-home', {
      title: 'Portal',
      kindLabel: PARTY_KIND_LABELS[party.kind],
      sections: portal.sectionsFor(party.kind),
      inbox: notices.inbox(party.id, 5),
      banner: PORTAL_BANNERS.read(req.query),
    });
  });

  r.get('/inbox', (req, res) => {
    res.render('portal-inbox', { title: 'Inbox', notices: notices.inbox(partyOf(req).id) });
  });
  r.get('/inbox/:id', (req, res) => {
    // Only the session's own notices: another party's id answers as a notice that does not exist.
    const n = notices.openForParty(partyOf(req).id, String(req.params.id));
    if (!n) return res.status(404).render('portal-message', { title: 'Not found', message: 'There is no such notice in your inbox.' });
    res.render('portal-notice', { title: n.subject, n });
  });

  const renderAccount = (req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) =>
    res.status(status).render('portal-account', { title: 'Account', kindLabel: PARTY_KIND_LABELS[partyOf(req).kind], setup: null, error: null, banner: PORTAL_BANNERS.read(req.query), ...extra });
  r.get('/account', (req, res) => renderAccount(req, res));
  r.post('/account/totp/start', (req, res) => {
    const party = partyOf(req);
    if (party.totpEnabled) return renderAccount(req, res, 409, { error: 'Two-factor login is already on.' });
    renderAccount(req, res, 200, { setup: portal.startTotp(party.id) });
  });
  r.post('/account/totp/confirm', (req, res) => {
    const party = partyOf(req);
    if (portal.confirmTotp(party.id, field(req, 'code'))) return res.redirect(303, PORTAL_BANNERS.href(`${BASE}/account`, 'totp_enabled'));
    renderAccount(req, res, 400, { setup: portal.pendingTotp(party.id) ?? null, error: 'That code does not match. Check the time on your device and enter the current code.' });
  });
  r.post('/account/totp/disable', (req, res) => {
    if (portal.disableTotp(partyOf(req).id, field(req, 'code'))) return res.redirect(303, PORTAL_BANNERS.href(`${BASE}/account`, 'totp_disabled'));
    renderAccount(req, res, 400, { error: 'That code is wrong or was already used: two-factor login stays on.' });
  });
  r.post('/account/webhook', (req, res) => {
    try {
      portal.setWebhook(partyOf(req).id, field(req, 'webhookUrl') || null);
    } catch (err) {
      return renderAccount(req, res, 400, { error: (err as Error).message });
    }
    res.redirect(303, PORTAL_BANNERS.href(`${BASE}/account`, 'webhook_saved'));
  });

  // Sections of other capabilities, each behind a check of the party's kind; added later sections mount here too.
  const tools: SectionTools = { party: partyOf };
  const mountSection = (s: PortalSection) => {
    const sr = express.Router();
    s.mount(sr, tools);
    r.use(`/${s.id}`, (req, res, next) => {
      if (!s.kinds.includes(partyOf(req).kind))
        return res.status(404).render('portal-message', { title: 'Not found', message: `There is no page at ${BASE}${req.originalUrl.slice(BASE.length).split('?')[0]}.` });
      res.locals.section = s;
      sr(req, res, next);
    });
  };
  for (const s of portal.sections) mountSection(s);
  portal.onSection = mountSection;
  return r;
}
