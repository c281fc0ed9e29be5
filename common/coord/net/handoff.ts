import { signCompact } from '../../s2s/jws.js';
import { resolvePinnedKey } from '../../s2s/middleware.js';
import { verifySignedToken } from '../../s2s/verify.js';
import type { SiteContext } from '../../site/context.js';

/**
 * The signed link a partner's "Get the components" hands the shopper to the
 * main site with (issue 17 item 2): which page of which partner, signed with
 * the partner's s2s key, so the main site asks that partner (and no other
 * page) for the component list. It carries nothing about the shopper.
 */
export const HANDOFF_TYP = 'tieup-coord-handoff+jwt';
const LIFETIME_S = 300;

export function signHandoff(ctx: SiteContext, page: string): string {
  const main = ctx.peers.main();
  if (!main) throw new Error('this partner has no main site enrolled');
  const key = ctx.keyring().current;
  const iat = Math.floor(Date.now() / 1000);
  return signCompact({ alg: 'EdDSA', kid: key.kid, typ: HANDOFF_TYP }, Buffer.from(JSON.stringify({ iss: ctx.config.siteId, aud: main.id, iat, exp: iat + LIFETIME_S, page })), key.privateKey);
}

/** The partner and page a handoff names, after checking it was signed by an enrolled partner for this site and is still valid; null otherwise. */
export async function readHandoff(ctx: SiteContext, token: string): Promise<{ partner: string; page: string } | null> {
  try {
    const claims = await verifySignedToken(token, HANDOFF_TYP, async (iss, kid) => (await resolvePinnedKey(ctx.peers, iss, kid)).key);
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== ctx.config.siteId || typeof claims.exp !== 'number' || claims.exp < now || typeof claims.page !== 'string') return null;
    return { partner: claims.iss as string, page: claims.page };
  } catch {
    return null;
  }
}
