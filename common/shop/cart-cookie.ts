import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { randomToken, safeEqual, sha256Hex } from '../web/tokens.js';

const CART_ID_RE = /^[A-Za-z0-9_-]{32}$/;
const MAX_AGE_MS = 30 * 86400_000;

/**
 * The cart cookie (httpOnly, SameSite) and the form token bound to it: an HMAC
 * of the cookie under the site's own secret. A page built once for everyone
 * carries the token of whoever asks for it, and a form posted from another
 * site cannot know it.
 */
export class CartCookie {
  readonly name: string;
  /** Per-cart token and log id, kept for carts seen recently (both are hashes, recomputed when dropped). */
  private recent = new Map<string, { token: string; logId: string }>();
  constructor(
    siteId: string,
    private readonly secret: Buffer,
    private readonly secure: boolean,
  ) {
    this.name = `tieup_${siteId}_cart`;
  }

  read(cookieHeader: string | undefined): string | undefined {
    if (!cookieHeader || !cookieHeader.includes(this.name)) return undefined;
    const v = parseCookies(cookieHeader)[this.name];
    return v && CART_ID_RE.test(v) ? v : undefined;
  }

  /** A new cart id and its Set-Cookie header value. */
  issue(): { id: string; header: string } {
    const id = randomToken(24);
    return { id, header: `${this.name}=${id}; Max-Age=${MAX_AGE_MS / 1000}; Path=/; HttpOnly;${this.secure ? ' Secure;' : ''} SameSite=Lax` };
  }

  /** The cart id of this request, issuing one (and its cookie) if it has none. */
  ensure(req: Request, res: Response): string {
    const id = this.read(req.headers.cookie);
    if (id) return id;
    const c = this.issue();
    res.append('Set-Cookie', c.header);
    return c.id;
  }

  private derived(cartId: string): { token: string; logId: string } {
    let d = this.recent.get(cartId);
    if (!d) {
      d = { token: createHmac('sha256', this.secret).update(`csrf:${cartId}`).digest('base64url').slice(0, 32), logId: sha256Hex(cartId).slice(0, 16) };
      if (this.recent.size >= 20_000) this.recent = new Map();
      this.recent.set(cartId, d);
    }
    return d;
  }

  token(cartId: string): string {
    return this.derived(cartId).token;
  }

  /** What the access log records as the session of an anonymous shopper: a short hash of the cart id. */
  logId(cartId: string): string {
    return this.derived(cartId).logId;
  }

  check(cartId: string | undefined, field: unknown): boolean {
    return !!cartId && typeof field === 'string' && safeEqual(field, this.token(cartId));
  }

  /** The key a cart is stored under: the cookie's hash, never the cookie. */
  storeKey(cartId: string): string {
    return sha256Hex(cartId);
  }
}
