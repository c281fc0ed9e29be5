import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { readFileSync } from 'node:fs';
import { errorBody, publicError } from '../errors.js';
import { fromRoot } from '../paths.js';
import type { SiteContext } from '../site/context.js';

/**
 * The parts every site shares, in order: security headers, request logging and
 * metrics, liveness, metrics, the public keys. Site routes go after this;
 * `finishApp` adds the 404 and error handlers last.
 */
/** helmet, as every answer of this site carries it (the express app and the fast path use this one instance). */
const helmets = new WeakMap<SiteContext, ReturnType<typeof helmet>>();
export function securityHeaders(ctx: SiteContext): ReturnType<typeof helmet> {
  let h = helmets.get(ctx);
  if (!h) {
    const https = ctx.config.publicUrl.startsWith('https:');
    h = helmet({
      strictTransportSecurity: https,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } },
    });
    helmets.set(ctx, h);
  }
  return h;
}

/** The one JSON line per answered request. */
export function logRequest(ctx: SiteContext, method: string | undefined, path: string, status: number, start: bigint): void {
  ctx.logger.info({ event: 'http', method, path, status, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'request');
}

export function createBaseApp(ctx: SiteContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('views', fromRoot('common/web/views'));
  app.set('view engine', 'ejs');
  // On plain HTTP (the loopback demo, a site behind a TLS proxy configured with
  // an http public URL) HSTS and upgrade-insecure-requests would break forms.
  app.use(securityHeaders(ctx));
  app.use(ctx.metrics.middleware());
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => logRequest(ctx, req.method, req.path, res.statusCode, start));
    next();
  });
  // Liveness and state. 200 while the site serves: "ok", or "degraded" with the
  // problems (a full disk: pages still answer, writes wait), so an orchestrator
  // does not restart a site that a restart cannot help; 503 only when the
  // database cannot even be read (README; docs/logs.md, "When the disk is full").
  app.get('/healthz', (_req, res) => {
    const head = { site: ctx.config.siteId, role: ctx.config.role, time: new Date().toISOString() };
    res.set('Cache-Control', 'no-store');
    try {
      ctx.db.prepare('SELECT 1').get();
    } catch (err) {
      res.status(503).json({ status: 'down', ...head, problems: [{ component: 'database', code: (err as { code?: string }).code ?? 'error', message: 'the database cannot be read' }] });
      return;
    }
    const problems = ctx.storage.list();
    res.json({ status: problems.length ? 'degraded' : 'ok', ...head, ...(problems.length ? { problems } : {}), ...(ctx.log.pendingCount ? { logPending: ctx.log.pendingCount } : {}) });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').json(ctx.keyring().jwks());
  });
  app.use('/console-assets', express.static(fromRoot('common/web/assets'), { maxAge: '1h' }));
  // Browsers ask every site for its icon: answered here, before any page route, so it is never an access-log entry (nor a logged 404).
  const favicon = readFileSync(fromRoot('common/web/assets/favicon.svg'));
  app.get(['/favicon.ico', '/favicon.svg'], (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(favicon);
  });
  return app;
}

const wantsJson = (req: Request): boolean => /^\/(s2s|admin\/api|manage\/api)(\/|$)/.test(req.path) || req.accepts(['html', 'json']) === 'json';

/** Ends a JSON API mount so an unknown API path is a JSON 404, not a fall-through to the browser pages. */
export function apiNotFound(req: Request, res: Response): void {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
}

export function finishApp(app: express.Express, ctx: SiteContext): void {
  app.use((req: Request, res: Response) => {
    if (wantsJson(req)) {
      res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
      return;
    }
    res.status(404).render('message', { title: 'Not found', siteId: ctx.config.siteId, message: `There is no page at ${req.path}.` });
  });
  // Express recognises error handlers by their four parameters. Only what
  // publicError lets through reaches the client: the message of a client error
  // (or of a 5xx whose catalog entry is written for the reader), never the raw
  // text of an internal one, on pages or in JSON.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, internal } = publicError(err);
    if (internal) ctx.logger.error({ event: 'request_failed', method: req.method, path: req.path, code: body.error.code, err }, 'request failed');
    if (res.headersSent) return;
    if (wantsJson(req)) {
      res.status(status).json(body);
      return;
    }
    res.status(status).render('message', { title: status >= 500 ? 'Something went wrong' : 'Request refused', siteId: ctx.config.siteId, message: body.error.message });
  });
}
