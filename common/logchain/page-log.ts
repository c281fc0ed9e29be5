import type { Request, Response } from 'express';
import type { SiteLog } from './site-log.js';
import { truncateAddress, uaClass, type PageKind } from './entry.js';

/** One access-log entry for a page, asset or miss that a site answered. */
export interface LogWho {
  user: string | null;
  session: string | null;
}

export function logPageView(log: SiteLog, req: Request, res: Response, kind: PageKind, bytes: number, release: number | null, who?: LogWho): void {
  logPageHit(log, { path: req.path, kind, release, status: res.statusCode, bytes, who, client: req.ip, ua: req.get('user-agent') });
}

/** The same entry from plain values (for answers given before express, which must log exactly alike). */
export function logPageHit(
  log: SiteLog,
  h: { path: string; kind: PageKind; release: number | null; status: number; bytes: number; who?: LogWho | undefined; client: string | undefined; ua: string | undefined },
): void {
  log.append({
    time: new Date().toISOString(),
    site: log.site,
    type: 'page',
    path: h.path.slice(0, 500),
    kind: h.kind,
    release: h.release,
    status: h.status,
    bytes: h.bytes,
    user: h.who?.user ?? null,
    session: h.who?.session ?? null,
    client: truncateAddress(h.client),
    ua: uaClass(h.ua),
    order: null,
  });
}

/** An order event (placed, cancelled) in the access log: what the fee rests on. */
export function logOrderEvent(
  log: SiteLog,
  e: {
    type: 'order' | 'cancel' | 'refund';
    path: string;
    kind: PageKind;
    status: number;
    release: number | null;
    who: LogWho;
    client: string | undefined;
    ua: string | undefined;
    order: { id: string; amount: number; currency: string };
  },
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
