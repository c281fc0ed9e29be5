import express, { type Request, type Response } from 'express';
import { groundErrors } from '../errors.js';
import { jsonApiBody } from '../http/bodies.js';
import { ConsoleAuth } from '../web/console-auth.js';
import { confirmFirst } from '../web/confirm.js';
import { consoleFormat } from '../web/format.js';
import { PROTOCOL_VERSION } from '../s2s/tokens.js';
import type { SiteContext } from './context.js';
import { describePeer, describeSite } from './enrolment.js';
import { helloPeer } from './peer-protocol.js';
import { NAV_GROUPS, type NavGroup } from '../web/nav.js';

export interface ConsoleSetup {
  /** Browser pages, mounted at basePath. */
  pages: express.Router;
  /** JSON API behind a bearer token, mounted at basePath + "/api". */
  api: express.Router;
  auth: ConsoleAuth;
}

/** One item of the console header: a link, or a menu of links (a group with one entry is just its link); `current` marks the page shown and its menu. */
export type NavLink = { title: string; href: string; current?: true };
export type NavItem = NavLink | { title: string; items: NavLink[]; current?: true };

/** The link the page at `path` belongs to: the longest href that is the path or a folder above it (the console home only itself). */
export function currentHref(nav: readonly { href: string }[], path: string): string | undefined {
  let best: string | undefined;
  for (const { href } of nav) {
    const h = href.split('?')[0]!;
    const home = h.endsWith('/');
    const hit = home ? path === h || path === h.slice(0, -1) : path === h || path.startsWith(`${h}/`);
    if (hit && (best === undefined || h.length > best.length)) best = h;
  }
  return best;
}

/** The header's items in NAV_GROUPS order: one menu per group, so the header is one row at 1280 px and wraps tidily at 390 px. */
export function navMenus(nav: readonly { href: string; title: string; group?: NavGroup }[], path = ''): NavItem[] {
  const here = currentHref(nav, path);
  return NAV_GROUPS.flatMap((g): NavItem[] => {
    const items = nav
      .filter((n) => (n.group ?? 'Network') === g)
      .map((n): NavLink => (n.href.split('?')[0] === here ? { title: n.title, href: n.href, current: true } : { title: n.title, href: n.href }));
    if (items.length === 0) return [];
    if (items.length === 1) return [items[0]!];
    return [items.some((i) => i.current) ? { title: g, items, current: true } : { title: g, items }];
  });
}

export interface ConsoleOptions {
  basePath: '/admin' | '/manage';
  title: string;
  peersTitle: string;
  enrolHint: string;
  /** Only the main operator suspends and reactivates peers. */
  canSuspend: boolean;
  /** Links in the console header, e.g. to the sync pages, each under its menu. */
  nav: { href: string; title: string; group?: NavGroup }[];
  /** Standing alerts shown under the header on every console page (absolute hrefs). */
  alerts?: () => { href: string; text: string }[];
}

/** The console both kinds of site share: login, the identity and peers page, and the common API routes. */
export function createConsole(ctx: SiteContext, o: ConsoleOptions): ConsoleSetup {
  const auth = new ConsoleAuth({
    siteId: ctx.config.siteId,
    basePath: o.basePath,
    title: o.title,
    store: ctx.consoleStore,
    logger: ctx.logger,
    cookieSecure: ctx.config.cookieSecure,
    maxFailuresPerAccount: ctx.config.loginMaxFailuresPerAccount,
    maxFailuresPerIp: ctx.config.loginMaxFailuresPerIp,
    windowSeconds: ctx.config.loginWindowSeconds,
  });

  const pages = express.Router();
  pages.use((req, res, next) => {
    // Console pages show live state and per-user tokens: never cache them.
    res.set('Cache-Control', 'no-store');
    res.locals.basePath = o.basePath;
    res.locals.siteId = ctx.config.siteId;
    res.locals.consoleNav = navMenus([{ href: `${o.basePath}/`, title: 'Site and peers', group: 'Network' }, ...o.nav], req.originalUrl.split('?')[0]);
    // Every console view shows times and counts one way (common/web/format.ts).
    Object.assign(res.locals, consoleFormat);
    next();
  });
  pages.use(auth.routes());
  // The live channel (docs/console-live.md): an event stream, so no session is a plain 401, not a redirect to the login form.
  pages.get('/events', (req: Request, res: Response) => {
    if (!auth.sessionUser(req)) {
      res.status(401).type('text/plain').send('A console session is required for live updates. Log in and reload the page.\n');
      return;
    }
    ctx.live.serve(req, res, () => auth.sessionUser(req) !== undefined);
  });
  pages.use(auth.requireSession());
  // After the session check: alerts name partners and evidence, which only a logged-in user may see.
  pages.use((_req, res, next) => {
    res.locals.consoleAlerts = o.alerts?.() ?? [];
    next();
  });
  pages.get('/', (_req: Request, res: Response) => {
    res.render('console', {
      title: o.title,
      site: describeSite(ctx),
      protocolVersion: PROTOCOL_VERSION,
      peers: ctx.peers.list().map((p) => describePeer(ctx, p)),
      peersTitle: o.peersTitle,
      enrolHint: o.enrolHint,
      canSuspend: o.canSuspend,
      flash: null,
    });
  });
  // The peers table alone, for live.js when a peer changes (docs/console-live.md).
  pages.get('/live/peers', (_req: Request, res: Response) => {
    res.render('console-live-peers', { peers: ctx.peers.list().map((p) => describePeer(ctx, p)), enrolHint: o.enrolHint, canSuspend: o.canSuspend });
  });
  pages.post('/peers/:id/hello', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!ctx.peers.get(id)) throw groundErrors.peer_not_found(`no peer "${id}"`);
    await helloPeer(ctx, id);
    res.redirect(303, `${o.basePath}/`);
  });
  if (o.canSuspend) {
    for (const [action, status] of [
      ['suspend', 'suspended'],
      ['activate', 'active'],
    ] as const) {
      // Suspending cuts a partner off at once; activating is not destructive and needs no confirmation.
      const guard =
        action === 'suspend'
          ? confirmFirst((req) => ({
              title: `Suspend ${String(req.params.id)}?`,
              consequence: `${String(req.params.id)} is cut off at once: every call it makes to this site is refused, and pushes, log shipping and orders with it stop until it is activated again.`,
              confirmLabel: `Suspend ${String(req.params.id)}`,
              back: `${o.basePath}/`,
            }))
          : (_req: Request, _res: Response, next: () => void) => next();
      pages.post(`/peers/:id/${action}`, guard, (req: Request, res: Response) => {
        setPeerStatus(ctx, String(req.params.id), status, req.consoleUser?.username ?? '?');
        res.redirect(303, `${o.basePath}/`);
      });
    }
  }

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(auth.requireBearer());
  // JSON only, UTF-8 only, and a state-changing call must say what it wants: no body is not "the defaults".
  api.use(jsonApiBody({ limit: 1024 * 1024 }));
  api.get('/site', (_req, res) => {
    res.json({ ...describeSite(ctx), protocolVersion: PROTOCOL_VERSION });
  });
  return { pages, api, auth };
}

export function setPeerStatus(ctx: SiteContext, id: string, status: 'active' | 'suspended', by: string): void {
  if (!ctx.peers.setStatus(id, status)) throw groundErrors.peer_not_found(`no peer "${id}"`);
  ctx.logger.info({ event: 'peer_status_changed', peer: id, status, by }, `peer ${id} is now ${status}`);
}
