import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The click link of one delivery: `/ads/open/<token>`, signed by the site
 * that served it (HMAC-SHA256 with a secret only that site holds), naming the
 * delivery (ad, lease, position) and a random id that makes it single-use.
 * The browser carries it but cannot make one: points are credited for a
 * delivery the site's own records show it served, never for the browser's word.
 */
const claims = z.strictObject({
  a: z.string().max(64),
  l: z.string().max(40),
  s: z.int().min(1),
  j: z.string().regex(/^[A-Za-z0-9_-]{16,32}$/),
  e: z.int().min(0),
});
export type ClickClaims = z.infer<typeof claims>;

export function signClick(secret: Buffer, c: Omit<ClickClaims, 'j' | 'e'>, ttlSeconds: number): string {
  const body = Buffer.from(JSON.stringify({ ...c, j: randomBytes(12).toString('base64url'), e: Math.floor(Date.now() / 1000) + ttlSeconds })).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** The token's claims when its signature is this site's and it has not expired; otherwise undefined. */
export function verifyClick(secret: Buffer, token: string): ClickClaims | undefined {
  const m = /^([A-Za-z0-9_-]{10,600})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const want = createHmac('sha256', secret).update(m[1]!).digest();
  const got = Buffer.from(m[2]!, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const r = claims.safeParse(parsed);
  if (!r.success || r.data.e < Math.floor(Date.now() / 1000)) return undefined;
  return r.data;
}
