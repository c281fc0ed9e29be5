import type { Request, Response } from 'express';
import type { SiteLog } from './site-log.js';
import { truncateAddress, uaClass, type PageKind } from './entry.js';

/** One access-log entry for a page, asset or miss that a site answered. */
export function logPageView(log: SiteLog, req: Request, res: Response, kind: PageKind, bytes: number, release: number | null): void {
  log.append({
    time: new Date().toISOString(),
    site: log.site,
    type: 'page',
    path: req.path.slice(0, 500),
    kind,
    release,
    status: res.statusCode,
    bytes,
    user: null,
    session: null,
    client: truncateAddress(req.ip),
    ua: uaClass(req.get('user-agent')),
    order: null,
  });
}
