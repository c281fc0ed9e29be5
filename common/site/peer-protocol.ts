import type express from 'express';
import { signCompact } from '../s2s/jws.js';
import { groundErrors } from '../errors.js';
import { importEd25519, thumbprint, type PublicJwk } from '../keys/jwk.js';
import { PEER_HELLO, PEER_HELLO_BACK, PEER_KEYS_ANNOUNCE, type ResponseInput } from '../protocol/index.js';
import { S2SCallError } from '../s2s/client.js';
import { signingKeyFor, s2sEndpoint, type S2SServerDeps } from '../s2s/middleware.js';
import { PROTOCOL_VERSION, nowSeconds } from '../s2s/tokens.js';
import { verifySignedToken } from '../s2s/verify.js';
import type { HelloResult, Peer } from '../store/peer-store.js';
import type { SiteContext } from './context.js';

/** The answer to /s2s/hello: who called, who answered, our clock and protocol version. */
export function helloAnswer(ctx: SiteContext, callerId: string, callerKid: string): ResponseInput<typeof PEER_HELLO> {
  return {
    protocolVersion: PROTOCOL_VERSION,
    caller: { id: callerId, kid: callerKid },
    callee: { id: ctx.config.siteId, role: ctx.config.role },
    serverTime: new Date().toISOString(),
  };
}

const KEY_PROOF_TYP = 'tieup-key-proof+jwt';
const PROOF_MAX_AGE_S = 300;

/** The s2s routes both kinds of site answer: hello, hello-back and key announcement. */
export function mountPeerProtocol(router: express.Router, ctx: SiteContext, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, PEER_HELLO, (s2s) => ({ body: helloAnswer(ctx, s2s.peer.id, s2s.callerKid) }));

  // The peer asks us to prove the opposite direction works: we call its /s2s/hello.
  s2sEndpoint(router, deps, PEER_HELLO_BACK, async (s2s) => ({ body: await helloPeer(ctx, s2s.peer.id) }));

  s2sEndpoint(router, deps, PEER_KEYS_ANNOUNCE, async (s2s, b) => {
    // The declaration has checked the shape (an Ed25519 public key, a compact JWS, a time); kept as publicPart() writes it.
    const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: b.key.x, alg: 'EdDSA', use: 'sig' };
    const tp = await thumbprint(jwk);
    // Proof of possession: the new key signs who is announcing it to whom.
    let proof: Record<string, unknown>;
    try {
      proof = await verifySignedToken(b.proof, KEY_PROOF_TYP, (_iss, kid) => {
        if (kid !== tp) throw new Error('the proof names another key');
        return importEd25519(jwk);
      });
    } catch {
      throw groundErrors.invalid_announcement('the proof is not signed by the announced key');
    }
    const now = nowSeconds();
    if (proof.iss !== s2s.peer.id || proof.aud !== ctx.config.siteId || proof.kid !== tp || typeof proof.iat !== 'number' || Math.abs(now - proof.iat) > PROOF_MAX_AGE_S) {
      throw groundErrors.invalid_announcement('the proof does not name this announcement (iss, aud, kid, iat)');
    }
    const cap = Date.now() + ctx.config.maxPeerKeyGraceSeconds * 1000;
    const until = new Date(Math.max(Date.now(), Math.min(Date.parse(b.previousValidUntil), cap))).toISOString();
    ctx.peers.acceptAnnouncedKey(s2s.peer.id, tp, { ...jwk, kid: tp }, until);
    ctx.logger.info({ event: 'peer_key_accepted', peer: s2s.peer.id, kid: tp, previousValidUntil: until }, 'accepted a rotated key from a peer');
    return { body: { accepted: tp, previousValidUntil: until } };
  });
}

/** Performs an authenticated hello to a peer, records the outcome on the peer, and returns it. */
export async function helloPeer(ctx: SiteContext, peerId: string): Promise<HelloResult> {
  const at = new Date().toISOString();
  let result: HelloResult;
  try {
    const r = await ctx.client.send(peerId, PEER_HELLO, {});
    const serverMs = Date.parse(r.body.serverTime);
    const skewMs = Math.round(serverMs - (r.sentAt + r.receivedAt) / 2);
    const identityOk = r.body.callee.id === peerId && r.body.caller.id === ctx.config.siteId;
    result = identityOk ? { at, ok: true, skewMs, rttMs: r.rttMs } : { at, ok: false, code: 'identity_mismatch', message: `the peer answered as ${JSON.stringify(r.body.callee)}`, rttMs: r.rttMs };
  } catch (err) {
    if (!(err instanceof S2SCallError)) throw err;
    const peerCode = err.details?.peerCode;
    // A clock refusal measured the skew from the token's times: kept for the console and `partners check`.
    const skewMs = typeof err.details?.skewMs === 'number' ? Math.round(err.details.skewMs) : undefined;
    result = { at, ok: false, code: typeof peerCode === 'string' ? `${err.code}:${peerCode}` : err.code, message: err.message, ...(skewMs === undefined ? {} : { skewMs }) };
  }
  if (ctx.peers.get(peerId)) ctx.peers.recordHello(peerId, result);
  return result;
}

/**
 * Tells a peer about our current key, in a request signed by the key it already
 * pins, with a proof signed by the new key. Until the peer accepts, we keep
 * signing to it with the old key (see signingKeyFor).
 */
export async function announceCurrentKey(ctx: SiteContext, peer: Peer): Promise<boolean> {
  const keyring = ctx.keyring();
  const current = keyring.current;
  if (peer.ackedKid === current.kid || peer.status !== 'active') return false;
  const previous = signingKeyFor(keyring, peer);
  const proof = signCompact(
    { alg: 'EdDSA', kid: current.kid, typ: KEY_PROOF_TYP },
    Buffer.from(JSON.stringify({ iss: ctx.config.siteId, aud: peer.id, kid: current.kid, iat: nowSeconds() })),
    current.privateKey,
  );
  const previousValidUntil = previous.retiresAt ?? new Date(Date.now() + ctx.config.keyGraceSeconds * 1000).toISOString();
  await ctx.client.send(peer.id, PEER_KEYS_ANNOUNCE, { key: current.publicJwk, proof, previousValidUntil });
  ctx.peers.setAckedKid(peer.id, current.kid);
  ctx.logger.info({ event: 'key_announced', peer: peer.id, kid: current.kid }, 'peer accepted our new key');
  return true;
}

/** Announces to every active peer that does not yet pin our current key; failures are retried later. */
export async function announceToAll(ctx: SiteContext): Promise<void> {
  for (const peer of ctx.peers.list()) {
    if (peer.status !== 'active' || peer.ackedKid === ctx.keyring().current.kid) continue;
    try {
      await announceCurrentKey(ctx, peer);
    } catch (err) {
      ctx.logger.warn({ event: 'key_announce_failed', peer: peer.id, code: (err as S2SCallError).code, reason: (err as Error).message }, 'could not announce our new key; will retry');
    }
  }
}
