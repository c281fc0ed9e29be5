import { createHash, randomBytes } from 'node:crypto';
import { signCompact } from './jws.js';
import type { SigningKey } from '../keys/keystore.js';

/** Bumped when the s2s wire protocol changes incompatibly; /s2s/hello reports it. */
export const PROTOCOL_VERSION = 1;

/**
 * Request and response tokens carry different `typ` headers so neither can be
 * passed off as the other (RFC 8725 section 3.11).
 */
export const REQUEST_TYP = 'tieup-s2s-req+jwt';
export const RESPONSE_TYP = 'tieup-s2s-resp+jwt';
export const ALGORITHM = 'EdDSA';
export const MAX_LIFETIME_S = 60;
export const CLOCK_SKEW_S = 30;
export const RESPONSE_TOKEN_HEADER = 'tieup-response-token';

export interface RequestClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  htm: string;
  htu: string;
  bh: string;
}

export interface ResponseClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  /** The jti of the request this answers: binds the response to one request. */
  rjti: string;
  /** The HTTP status, so a signed 200 cannot be replayed as the answer to a failed call or vice versa. */
  sts: number;
  bh: string;
}

const EMPTY_HASH = createHash('sha256').update('').digest('base64url');

/** base64url SHA-256 of the exact body bytes (the empty body hashes too). */
export function bodyHash(body: Uint8Array | undefined): string {
  if (!body || body.length === 0) return EMPTY_HASH;
  return createHash('sha256').update(body).digest('base64url');
}

export const newJti = (): string => randomBytes(16).toString('base64url');
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function signClaims(key: SigningKey, typ: string, claims: RequestClaims | ResponseClaims): string {
  return signCompact({ alg: ALGORITHM, kid: key.kid, typ }, Buffer.from(JSON.stringify(claims)), key.privateKey);
}
