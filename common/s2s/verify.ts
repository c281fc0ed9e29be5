import { verifyCompactSignature } from './jws.js';
import { ALGORITHM, CLOCK_SKEW_S, MAX_LIFETIME_S, type RequestClaims, type ResponseClaims } from './tokens.js';
import type { SigningKeyObject } from '../keys/jwk.js';

/** The stable codes a verifier answers with; documented in the README and asserted by tests. */
export type AuthCode =
  | 'missing_token'
  | 'malformed_token'
  | 'bad_algorithm'
  | 'wrong_type'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'replayed'
  | 'body_hash_mismatch'
  | 'method_mismatch'
  | 'path_mismatch';

export class S2SAuthError extends Error {
  constructor(
    readonly code: AuthCode,
    message: string,
    /** For a time refusal: how far the issuer's clock is ahead of ours (s; negative when behind), as measured from the token. */
    readonly skewS?: number,
  ) {
    super(message);
    this.name = 'S2SAuthError';
  }
}

const fail = (code: AuthCode, message: string): never => {
  throw new S2SAuthError(code, message);
};

const COMPACT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Headers that would let a token name its own key or extensions; never honoured.
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit', 'b64'];

function decodeJson(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return fail('malformed_token', `the token ${what} is not base64url JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('malformed_token', `the token ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

export type KeyResolver = (iss: string, kid: string) => SigningKeyObject | Promise<SigningKeyObject>;

/**
 * Checks structure, algorithm, type and signature, with the key chosen by the
 * resolver from our own pinned keys (never from the token). Claim checks that
 * depend on the request are left to the caller.
 */
export async function verifySignedToken(token: string, typ: string, resolveKey: KeyResolver): Promise<Record<string, unknown>> {
  if (!COMPACT_RE.test(token)) fail('malformed_token', 'the token is not a compact JWS (three base64url parts)');
  const [h, p] = token.split('.') as [string, string, string];
  const header = decodeJson(h, 'header');
  if (typeof header.alg !== 'string') fail('malformed_token', 'the token header has no alg');
  if (header.alg !== ALGORITHM) fail('bad_algorithm', `the token algorithm must be ${ALGORITHM}, got ${JSON.stringify(header.alg)}`);
  for (const name of FORBIDDEN_HEADERS) {
    if (name in header) fail('malformed_token', `the token header member "${name}" is not accepted`);
  }
  if (header.typ !== typ) fail('wrong_type', `the token type must be "${typ}", got ${JSON.stringify(header.typ)}`);
  if (typeof header.kid !== 'string' || header.kid === '') fail('malformed_token', 'the token header has no kid');
  const claims = decodeJson(p, 'payload');
  if (typeof claims.iss !== 'string' || claims.iss === '') fail('malformed_token', 'the token has no iss claim');
  const key = await resolveKey(claims.iss as string, header.kid as string);
  if (!verifyCompactSignature(token, key)) fail('bad_signature', 'the token signature does not verify with the pinned key');
  return claims;
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 2048;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

// Tokens are made just before they are sent, so how far iat is from our clock measures the
// two clocks (within the transit time): a time refusal says so, naming the clock and the skew.
function checkTimes(claims: { iat: number; exp: number }, now: number): void {
  if (claims.iat > now + CLOCK_SKEW_S) {
    const d = claims.iat - now;
    throw new S2SAuthError(
      'issued_in_future',
      `clock: the token was issued ${d} s in the future: the issuer's clock is about ${d} s ahead of ours (allowed skew ${CLOCK_SKEW_S} s); check both clocks (NTP)`,
      d,
    );
  }
  if (claims.exp <= claims.iat || claims.exp - claims.iat > MAX_LIFETIME_S) {
    fail('lifetime_too_long', `the token lifetime must be between 1 and ${MAX_LIFETIME_S} s`);
  }
  if (claims.exp + CLOCK_SKEW_S < now) {
    const d = now - claims.iat;
    throw new S2SAuthError(
      'expired',
      `clock: the token expired ${now - claims.exp} s ago; it was issued ${d} s ago, so unless it was held back the issuer's clock is about ${d} s behind ours (allowed skew ${CLOCK_SKEW_S} s); check both clocks (NTP)`,
      -d,
    );
  }
}

export interface RequestExpectations {
  selfId: string;
  method: string;
  path: string;
  bodyHash: string;
  now: number;
}

export function checkRequestClaims(raw: Record<string, unknown>, x: RequestExpectations): RequestClaims {
  const { iss, aud, iat, exp, jti, htm, htu, bh } = raw;
  if (!isStr(iss) || !isStr(aud) || !isInt(iat) || !isInt(exp) || !isStr(jti) || !isStr(htm) || !isStr(htu) || !isStr(bh)) {
    return fail('malformed_token', 'the token must carry iss, aud, iat, exp, jti, htm, htu and bh');
  }
  const c: RequestClaims = { iss, aud, iat, exp, jti, htm, htu, bh };
  if (c.aud !== x.selfId) fail('wrong_audience', `the token is for "${c.aud}", this site is "${x.selfId}"`);
  checkTimes(c, x.now);
  if (c.htm.toUpperCase() !== x.method.toUpperCase()) fail('method_mismatch', `the token is for ${c.htm}, the request is ${x.method}`);
  if (c.htu !== x.path) fail('path_mismatch', `the token is for ${c.htu}, the request is for ${x.path}`);
  if (c.bh !== x.bodyHash) fail('body_hash_mismatch', 'the body does not match the hash the token signs');
  return c;
}

export interface ResponseExpectations {
  peerId: string;
  selfId: string;
  requestJti: string;
  status: number;
  bodyHash: string;
  now: number;
}

/** Checks a verified response token against the request it answers; throws S2SAuthError, which the client maps to its own codes. */
export function checkResponseClaims(raw: Record<string, unknown>, x: ResponseExpectations): ResponseClaims {
  const { iss, aud, iat, exp, jti, rjti, sts, bh } = raw;
  if (!isStr(iss) || !isStr(aud) || !isInt(iat) || !isInt(exp) || !isStr(jti) || !isStr(rjti) || !isInt(sts) || !isStr(bh)) {
    return fail('malformed_token', 'the response token must carry iss, aud, iat, exp, jti, rjti, sts and bh');
  }
  const c: ResponseClaims = { iss, aud, iat, exp, jti, rjti, sts, bh };
  if (c.iss !== x.peerId) fail('wrong_issuer', `the response is signed as "${c.iss}", expected "${x.peerId}"`);
  if (c.aud !== x.selfId) fail('wrong_audience', `the response is for "${c.aud}", this site is "${x.selfId}"`);
  checkTimes(c, x.now);
  if (c.rjti !== x.requestJti || c.sts !== x.status) fail('replayed', 'the response is bound to another request');
  if (c.bh !== x.bodyHash) fail('body_hash_mismatch', 'the response body does not match the hash its token signs');
  return c;
}
