import type { Request, Response } from 'express';
import type { SiteLog } from './site-log.js';
import { truncateAddress, uaClass, type PageKind } from './entry.js';

/** One access-log entry for a page, asset or miss that a site answered. */
export interface LogWho {
  user: string | null;
  session: string | null;
}

export function logPageView(log: SiteLog, req: Request, res: Response, kind: PageKind, bytes: number, release: number | null, who?: LogWho): void {
  log.append({
    time: new Date().toISOString(),
    site: log.site,
    type: 'page',
    path: req.path.slice(0, 500),
    kind,
    release,
    status: res.statusCode,
    bytes,
    user: who?.user ?? null,
    session: who?.session ?? null,
    client: truncateAddress(req.ip),
    ua: uaClass(req.get('user-agent')),
    order: null,
  });
}

/** An order event (placed, cancelled) in the access log: what the fee rests on. */
export function logOrderEvent(
  log: SiteLog,
  e: { type: 'order' | 'cancel' | 'refund'; path: string; kind: PageKind; status: number; release: number | null; who: LogWho; client: string | undefined; ua: string | undefined; order: { id: string; amount: number; currency: string } },
): void {
  log.append({
    time: new Date().toISOString(),
    site: log.site,
    type: e.type,
    path: e.path.slice(0, 500),
    kind: e.kind,
    release: e.release,
    status: e.status,
    bytes: 0,
    user: e.who.user,
    session: e.who.session,
    client: truncateAddress(e.client),
    ua: uaClass(e.ua),
    order: e.order,
  });
}
