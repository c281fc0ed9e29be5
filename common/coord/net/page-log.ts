import type { Request, Response } from 'express';
import { logPageView } from '../../logchain/page-log.js';
import type { SiteLog } from '../../logchain/site-log.js';
import type { ContentView } from '../../render/content-view.js';
import type { ShopperSessions } from '../../users/index.js';

/** Writes the access-log entry of one coordination answer, once it is sent. */
export type CoordPageLog = (req: Request, res: Response) => void;

/**
 * The access log of the coordination pages (the "Get the components" link, the
 * picking, plan and order pages): every answer is a `page` entry like the
 * other fronts', with the shopper when signed in. Kind `shop`: they are the
 * ordering machinery, like the cart and checkout, so fees count them as shop
 * actions and never as page views of content (docs/fees.md).
 */
export function coordPageLog(log: SiteLog, view: () => ContentView, sessions: ShopperSessions): CoordPageLog {
  return (req, res) => {
    const s = sessions.current(req);
    // express sets Content-Length when it sends a body (a redirect's too): the bytes that went out.
    const bytes = Number(res.getHeader('content-length') ?? 0);
    logPageView(log, req, res, 'shop', Number.isSafeInteger(bytes) ? bytes : 0, view().release?.number ?? null, s ? { user: s.session.userId, session: s.logId } : undefined);
  };
}
