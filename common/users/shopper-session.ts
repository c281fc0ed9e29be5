import type { Request } from 'express';
import { parse as parseCookies } from 'cookie';
import type { ShopperSession, ShopperSessionStore } from './shopper-session-store.js';
import { sha256Hex } from '../web/tokens.js';

export interface CurrentShopper {
  /** The cookie value; never logged. */
  sid: string;
  session: ShopperSession;
  /** What the access log records as the session: a short hash, not the cookie. */
  logId: string;
}

/** A site's shopper sessions: the cookie named for the site, looked up by its hash. */
export class ShopperSessions {
  readonly cookieName: string;
  constructor(
    siteId: string,
    readonly store: ShopperSessionStore,
    readonly cookieSecure: boolean,
  ) {
    this.cookieName = `tieup_${siteId}_shop`;
  }

  current(req: Request): CurrentShopper | undefined {
    const sid = parseCookies(req.headers.cookie ?? '')[this.cookieName];
    if (!sid) return undefined;
    const idHash = sha256Hex(sid);
    const session = this.store.get(idHash);
    return session ? { sid, session, logId: idHash.slice(0, 16) } : undefined;
  }

  cookieOptions(maxAgeMs?: number) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.cookieSecure, path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
  }
}

/** A local redirect target from a form or query ("/checkout?group=main"), or undefined. */
export function safeNext(v: unknown): string | undefined {
  return typeof v === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,300}$/.test(v) ? v : undefined;
}
