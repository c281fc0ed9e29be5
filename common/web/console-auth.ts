import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { errorBody, groundErrors } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConsoleStore, ConsoleUser } from '../store/console-store.js';
import { formBody } from '../http/bodies.js';
import { FailureLimiter, beginAttempt } from './failure-limiter.js';
import { dummyPasswordHash, verifyPassword } from './password.js';
import { randomToken, safeEqual, sha256Hex } from './tokens.js';

export interface ConsoleAuthOptions {
  siteId: string;
  /** "/admin" on the main site, "/manage" on a partner. */
  basePath: string;
  title: string;
  store: ConsoleStore;
  logger: Logger;
  cookieSecure: boolean;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
  sessionHours?: number;
}

export interface ConsoleLocals {
  user: ConsoleUser;
  csrfToken: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    consoleUser?: ConsoleUser;
    csrfToken?: string;
  }
}

/**
 * Logins for the console, in the browser (session cookie + CSRF token on every
 * form) and for the JSON API (bearer token). Cookie names carry the site id:
 * browsers share cookies across ports of one host, and the demo runs three sites
 * on 127.0.0.1.
 */
export class ConsoleAuth {
  readonly sessionCookie: string;
  readonly loginCsrfCookie: string;
  private readonly byAccount: FailureLimiter;
  private readonly byIp: FailureLimiter;

  constructor(private readonly o: ConsoleAuthOptions) {
    this.sessionCookie = `tieup_${o.siteId}_console`;
    this.loginCsrfCookie = `tieup_${o.siteId}_login_csrf`;
    // A successful login forgets its account's failures, not its address's.
    this.byAccount = new FailureLimiter(o.maxFailuresPerAccount, o.windowSeconds * 1000, true);
    this.byIp = new FailureLimiter(o.maxFailuresPerIp, o.windowSeconds * 1000);
  }

  private cookies(req: Request): Record<string, string | undefined> {
    return parseCookies(req.headers.cookie ?? '');
  }

  private cookieOptions(maxAgeMs?: number) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.o.cookieSecure, path: this.o.basePath, ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
  }

  /** Routes: GET/POST login, POST logout. Mount before `requireSession`. */
  routes(): express.Router {
    const r = express.Router();
    const form = formBody({ limit: '16kb' });
    r.get('/login', (req, res) => this.renderLogin(req, res, 200));
    r.post('/login', form, (req, res, next) => {
      this.login(req, res).catch(next);
    });
    r.post('/logout', form, (req, res) => {
      const sid = this.cookies(req)[this.sessionCookie];
      if (sid) {
        const s = this.o.store.session(sha256Hex(sid));
        const field = (req.body as Record<string, unknown> | undefined)?._csrf;
        if (!s || typeof field !== 'string' || !safeEqual(field, s.csrfToken)) {
          res.status(403).type('text/plain').send('Invalid or missing form token (CSRF). Reload the page and try again.');
          return;
        }
        this.o.store.dropSession(sha256Hex(sid));
      }
      res.clearCookie(this.sessionCookie, { path: this.o.basePath });
      res.redirect(303, `${this.o.basePath}/login`);
    });
    return r;
  }

  private renderLogin(req: Request, res: Response, status: number, error?: string, username = ''): void {
    const token = randomToken(24);
    const next = this.nextOf(req);
    res.cookie(this.loginCsrfCookie, token, this.cookieOptions(30 * 60 * 1000));
    res.status(status).render('login', { title: this.o.title, basePath: this.o.basePath, siteId: this.o.siteId, csrfToken: token, error, username, next });
  }

  /** Where a login returns to: the console page that was asked for (query or form), only ever a path of this console. */
  private nextOf(req: Request): string | undefined {
    const raw = req.method === 'POST' ? (req.body as Record<string, unknown> | undefined)?.next : req.query.next;
    return safeConsoleNext(raw, this.o.basePath);
  }

  private async login(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = body._csrf;
    const cookie = this.cookies(req)[this.loginCsrfCookie];
    if (typeof field !== 'string' || !cookie || !safeEqual(field, cookie)) {
      res.status(403);
      return this.renderLogin(req, res, 403, 'The form expired or was not sent from this page (CSRF check). Please try again.');
    }
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const ipKey = `ip:${req.ip ?? 'unknown'}`;
    const acctKey = `acct:${username.toLowerCase()}`;
    // Counted before the slow scrypt check, so logins sent at once are throttled like logins sent one by one.
    const start = beginAttempt([
      [this.byIp, ipKey],
      [this.byAccount, acctKey],
    ]);
    if (start.blocked) {
      res.set('Retry-After', String(start.retryAfter));
      this.o.logger.warn({ event: 'console_login_throttled', username, ip: req.ip }, 'console login throttled');
      return this.renderLogin(req, res, 429, `Too many failed logins. Try again in ${Math.ceil(start.retryAfter / 60)} minute(s).`, username);
    }
    const user = username ? this.o.store.userByName(username) : undefined;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      this.o.logger.info({ event: 'console_login_failed', username, ip: req.ip }, 'console login failed');
      return this.renderLogin(req, res, 401, 'Wrong username or password.', username);
    }
    start.attempt.succeeded();
    const sid = randomToken(32);
    const hours = this.o.sessionHours ?? 12;
    this.o.store.createSession(sha256Hex(sid), user.id, randomToken(24), new Date(Date.now() + hours * 3600_000));
    res.clearCookie(this.loginCsrfCookie, { path: this.o.basePath });
    res.cookie(this.sessionCookie, sid, this.cookieOptions(hours * 3600_000));
    this.o.logger.info({ event: 'console_login', username, ip: req.ip }, 'console login');
    res.redirect(303, this.nextOf(req) ?? `${this.o.basePath}/`);
  }

  /** The console user of a request's session cookie, if the session is valid now (checked again on every call). */
  sessionUser(req: Request): ConsoleUser | undefined {
    const sid = this.cookies(req)[this.sessionCookie];
    return sid ? this.o.store.session(sha256Hex(sid))?.user : undefined;
  }

  /** Browser pages: a valid session, and on every unsafe method a matching CSRF form field. */
  requireSession(): RequestHandler {
    const form = formBody({ limit: '64kb' });
    return (req: Request, res: Response, next: NextFunction) => {
      const sid = this.cookies(req)[this.sessionCookie];
      const s = sid ? this.o.store.session(sha256Hex(sid)) : undefined;
      if (!s) {
        if (req.method === 'GET') {
          // Back to this page after logging in (the login page takes only paths of this console).
          const asked = safeConsoleNext(req.originalUrl, this.o.basePath);
          const next = asked === this.o.basePath || asked === `${this.o.basePath}/` ? undefined : asked;
          return res.redirect(303, `${this.o.basePath}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
        }
        res.status(401).type('text/plain').send('Your session has ended. Please log in again.');
        return;
      }
      req.consoleUser = s.user;
      req.csrfToken = s.csrfToken;
      res.locals.user = s.user;
      res.locals.csrfToken = s.csrfToken;
      if (req.method === 'GET' || req.method === 'HEAD') return next();
      form(req, res, (err?: unknown) => {
        if (err) return next(err);
        const field = (req.body as Record<string, unknown> | undefined)?._csrf;
        if (typeof field !== 'string' || !safeEqual(field, s.csrfToken)) {
          res.status(403).type('text/plain').send('Invalid or missing form token (CSRF). Reload the page and try again.');
          return;
        }
        next();
      });
    };
  }

  /** JSON API: a bearer token issued to a console user. */
  requireBearer(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const m = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/.exec(req.get('authorization') ?? '');
      const user = m ? this.o.store.userByTokenHash(sha256Hex(m[1]!)) : undefined;
      if (!user) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json(errorBody('unauthorized', 'a valid bearer token is required ("Authorization: Bearer <token>")'));
        return;
      }
      req.consoleUser = user;
      next();
    };
  }
}

/**
 * A redirect target after a console login: a same-site path under the console
 * ("/admin/orders?state=accepted"), never another host ("//evil.example",
 * "/\\evil.example", "https://..."), never the login page itself.
 */
export function safeConsoleNext(v: unknown, basePath: string): string | undefined {
  if (typeof v !== 'string' || !/^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(v)) return undefined;
  if (v !== basePath && !v.startsWith(`${basePath}/`) && !v.startsWith(`${basePath}?`)) return undefined;
  if (v.startsWith(`${basePath}/login`) || v.startsWith(`${basePath}/logout`)) return undefined;
  return v;
}

export function requireConsoleUser(req: Request): ConsoleUser {
  if (!req.consoleUser) throw groundErrors.unauthorized('login required');
  return req.consoleUser;
}
