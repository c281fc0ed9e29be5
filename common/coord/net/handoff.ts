import { signCompact } from '../../s2s/jws.js';
import { resolvePinnedKey } from '../../s2s/middleware.js';
import { verifySignedToken } from '../../s2s/verify.js';
import type { SiteContext } from '../../site/context.js';

/**
 * The signed hand-over a partner's "Get the components" gives the shopper to
 * the main site with (issue 17 item 2): which page of which partner, signed
 * with the partner's s2s key, so the main site asks that partner (and no other
 * page) for the component list. It carries nothing about the shopper.
 *
 * The page never holds a hand-over: its link is the partner's own
 * /coord/get?page=<path>, which signs one at the moment it is clicked and
 * redirects (common/coord/net/job-pages.ts), so a page read for an hour still
 * hands over. A hand-over is good for HANDOFF_LIFETIME_S from then; one that
 * is authentic but older (the shopper logged in first, or scaled the servings
 * long after) is sent back to that partner's /coord/get to be signed afresh,
 * which is just what clicking the link again does. An altered or unknown one
 * is refused.
 */
export const HANDOFF_TYP = 'tieup-coord-handoff+jwt';
export const HANDOFF_LIFETIME_S = 300;

export function signHandoff(ctx: SiteContext, page: string, o: { now?: number; lifetimeS?: number } = {}): string {
  const main = ctx.peers.main();
  if (!main) throw new Error('this partner has no main site enrolled');
  const key = ctx.keyring().current;
  const iat = Math.floor((o.now ?? Date.now()) / 1000);
  return signCompact(
    { alg: 'EdDSA', kid: key.kid, typ: HANDOFF_TYP },
    Buffer.from(JSON.stringify({ iss: ctx.config.siteId, aud: main.id, iat, exp: iat + (o.lifetimeS ?? HANDOFF_LIFETIME_S), page })),
    key.privateKey,
  );
}

/**
 * What a hand-over says once its signature is checked against an enrolled
 * partner's pinned key and its audience is this site: `valid`, or `expired`
 * (authentic, but past its lifetime: to be signed afresh by its partner).
 * Null for anything not signed by an enrolled partner for this site.
 */
export async function checkHandoff(ctx: SiteContext, token: string, now = Date.now()): Promise<{ state: 'valid' | 'expired'; partner: string; page: string } | null> {
  try {
    const claims = await verifySignedToken(token, HANDOFF_TYP, async (iss, kid) => (await resolvePinnedKey(ctx.peers, iss, kid)).key);
    if (claims.aud !== ctx.config.siteId || typeof claims.exp !== 'number' || typeof claims.page !== 'string') return null;
    return { state: claims.exp < Math.floor(now / 1000) ? 'expired' : 'valid', partner: claims.iss as string, page: claims.page };
  } catch {
    return null;
  }
}

/** The partner and page a hand-over names when it is authentic and still valid; null otherwise. */
export async function readHandoff(ctx: SiteContext, token: string): Promise<{ partner: string; page: string } | null> {
  const h = await checkHandoff(ctx, token);
  return h?.state === 'valid' ? { partner: h.partner, page: h.page } : null;
}
