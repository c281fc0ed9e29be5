import express, { type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { safeNext, type CurrentShopper, type ShopperSessions } from './shopper-session.js';
import { AppError } from '../errors.js';
import { formBody } from '../http/bodies.js';
import type { Logger } from '../logger.js';
import type { ContentView } from '../render/content-view.js';
import { escapeHtml } from '../render/page-renderer.js';
import { MIN_PASSWORD_LENGTH } from '../web/password.js';
import { randomToken, safeEqual, sha256Hex } from '../web/tokens.js';

export interface Account {
  id: string;
  email: string;
  name: string;
}

/** Where accounts live: the main site itself, or the main site over s2s (partners). */
export interface UserDirectory {
  /** news: the shopper asked for news of new products (kept at the main site, docs/news.md). */
  register(input: { email: string; name: string; password: string; news?: boolean }, clientIp: string): Promise<Account>;
  login(input: { email: string; password: string }, clientIp: string): Promise<Account>;
}

export interface ShopperAccountsOptions {
  siteId: string;
  directory: UserDirectory;
  sessions: ShopperSessions;
  view: () => ContentView;
  logger: Logger;
  /** More of the account page (e.g. the shopper's orders), as escaped HTML. */
  accountSections?: (shopper: CurrentShopper) => Promise<string>;
}

/**
 * Shopper registration, login and logout on any site. The account is always at
 * the main site; the session is this site's own (httpOnly, SameSite cookie named
 * for the site, a CSRF token on every form).
 */
export function shopperAccounts(o: ShopperAccountsOptions): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '16kb' });
  const sessionCookie = o.sessions.cookieName;
  const csrfCookie = `tieup_${o.siteId}_shop_csrf`;
  const cookieOpts = (maxAge?: number) => o.sessions.cookieOptions(maxAge);
  const page = (res: Response, status: number, title: string, html: string) => {
    res.status(status).set('Cache-Control', 'no-store').type('html').send(o.view().wrap(title, html));
  };
  const anonForm = (res: Response, kind: 'login' | 'register', status: number, error?: string, values: { email?: string; name?: string; next?: string; news?: boolean } = {}) => {
    const token = randomToken(24);
    res.cookie(csrfCookie, token, cookieOpts(30 * 60 * 1000));
    const err = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
    const nameField = kind === 'register' ? `<p><label>Name<br><input name="name" value="${escapeHtml(values.name ?? '')}" required maxlength="100" autocomplete="name"></label></p>` : '';
    const q = values.next ? `?next=${encodeURIComponent(values.next)}` : '';
    const other =
      kind === 'login'
        ? `<p>New here? <a href="/account/register${q}">Create an account</a> (one account for every shop of the network).</p>`
        : `<p>Already have an account? <a href="/account/login${q}">Log in</a>.</p>`;
    page(
      res,
      status,
      kind === 'login' ? 'Log in' : 'Create an account',
      `<h1>${kind === 'login' ? 'Log in' : 'Create an account'}</h1>${err}
<form method="post" action="/account/${kind}" class="account-form">
<input type="hidden" name="_csrf" value="${token}">${values.next ? `<input type="hidden" name="next" value="${escapeHtml(values.next)}">` : ''}
<p><label>Email<br><input name="email" type="email" value="${escapeHtml(values.email ?? '')}" required autocomplete="email"></label></p>${nameField}
<p><label>Password${kind === 'register' ? ` (at least ${MIN_PASSWORD_LENGTH} characters)` : ''}<br><input name="password" type="password" required autocomplete="${kind === 'login' ? 'current-password' : 'new-password'}"></label></p>
${
  kind === 'register'
    ? `<p><label><input type="checkbox" name="news" value="yes"${values.news ? ' checked' : ''}> Send me news of new products by e-mail (every message has a link to stop them)</label></p>`
    : ''
}
<p><button type="submit">${kind === 'login' ? 'Log in' : 'Create account'}</button></p></form>${other}`,
    );
  };
  const checkAnonCsrf = (req: Request): boolean => {
    const field = (req.body as Record<string, unknown> | undefined)?._csrf;
    const cookie = parseCookies(req.headers.cookie ?? '')[csrfCookie];
    return typeof field === 'string' && !!cookie && safeEqual(field, cookie);
  };
  const start = (res: Response, a: Account, next: string | undefined) => {
    const sid = randomToken(32);
    o.sessions.store.create(sha256Hex(sid), { userId: a.id, email: a.email, name: a.name, csrfToken: randomToken(24) }, new Date(Date.now() + 7 * 86400_000));
    res.clearCookie(csrfCookie, { path: '/' });
    res.cookie(sessionCookie, sid, cookieOpts(7 * 86400_000));
    res.redirect(303, next ?? '/account');
  };
  const failure = (res: Response, kind: 'login' | 'register', err: unknown, values: { email?: string; name?: string; next?: string; news?: boolean }) => {
    if (err instanceof AppError && err.expose) {
      if (err.details?.retryAfter) res.set('Retry-After', String(err.details.retryAfter));
      return anonForm(res, kind, err.status, err.message, values);
    }
    o.logger.error({ event: 'account_failed', err }, 'account request failed');
    anonForm(res, kind, 500, 'Something went wrong on our side; please try again.', values);
  };

  r.get('/account', async (req, res, next) => {
    const shopper = o.sessions.current(req);
    if (!shopper) return page(res, 200, 'Your account', '<h1>Your account</h1><p><a href="/account/login">Log in</a> or <a href="/account/register">create an account</a>.</p>');
    const cur = shopper.session;
    try {
      const extra = o.accountSections ? await o.accountSections(shopper) : '';
      page(
        res,
        200,
        'Your account',
        `<h1>Your account</h1><p>Signed in as <strong>${escapeHtml(cur.name)}</strong> (${escapeHtml(cur.email)}).</p>
<form method="post" action="/account/logout"><input type="hidden" name="_csrf" value="${cur.csrfToken}"><button type="submit">Log out</button></form>${extra}`,
      );
    } catch (err) {
      next(err);
    }
  });
  r.get('/account/login', (req, res) => anonForm(res, 'login', 200, undefined, { next: safeNext(req.query.next) }));
  r.get('/account/register', (req, res) => anonForm(res, 'register', 200, undefined, { next: safeNext(req.query.next) }));
  r.post('/account/register', form, async (req, res) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const values = { email: String(b.email ?? '').slice(0, 260), name: String(b.name ?? '').slice(0, 100), next: safeNext(b.next), news: b.news === 'yes' };
    if (!checkAnonCsrf(req)) return anonForm(res, 'register', 403, 'The form expired or was not sent from this page (CSRF check). Please try again.', values);
    try {
      start(res, await o.directory.register({ email: String(b.email ?? ''), name: String(b.name ?? ''), password: String(b.password ?? ''), news: values.news }, req.ip ?? ''), values.next);
    } catch (err) {
      failure(res, 'register', err, values);
    }
  });
  r.post('/account/login', form, async (req, res) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const values = { email: String(b.email ?? '').slice(0, 260), next: safeNext(b.next) };
    if (!checkAnonCsrf(req)) return anonForm(res, 'login', 403, 'The form expired or was not sent from this page (CSRF check). Please try again.', values);
    try {
      start(res, await o.directory.login({ email: String(b.email ?? ''), password: String(b.password ?? '') }, req.ip ?? ''), values.next);
    } catch (err) {
      failure(res, 'login', err, values);
    }
  });
  r.post('/account/logout', form, (req, res) => {
    const cur = o.sessions.current(req);
    const field = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!cur || typeof field !== 'string' || !safeEqual(field, cur.session.csrfToken)) {
      page(res, 403, 'Log out', '<h1>Log out</h1><p>Invalid or missing form token (CSRF). Reload the page and try again.</p>');
      return;
    }
    o.sessions.store.drop(sha256Hex(cur.sid));
    res.clearCookie(sessionCookie, { path: '/' });
    res.redirect(303, '/');
  });
  return r;
}
