import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';

export type PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: string; alg?: 'EdDSA'; use?: 'sig' };
export type PrivateJwk = PublicJwk & { d: string };

/** A fresh Ed25519 key pair as JWKs, kid set to its RFC 7638 thumbprint. */
export async function generateEd25519Jwk(): Promise<PrivateJwk> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; d: string };
  const base = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: jwk.x };
  const kid = await thumbprint(base);
  return { ...base, d: jwk.d, kid, alg: 'EdDSA', use: 'sig' };
}

/** RFC 7638 SHA-256 thumbprint, base64url: computed from the required members only. */
export function thumbprint(jwk: { kty: string; crv?: string; x?: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'sha256');
}

/** The public half only; any private member is dropped, whatever the input carries. */
export function publicPart(jwk: PublicJwk | PrivateJwk): PublicJwk {
  const out: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, alg: 'EdDSA', use: 'sig' };
  if (jwk.kid) out.kid = jwk.kid;
  return out;
}

/** Checks that an untrusted object is an Ed25519 public JWK and nothing else. */
export function parsePublicJwk(value: unknown): PublicJwk | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (v.kty !== 'OKP' || v.crv !== 'Ed25519' || typeof v.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.x)) return null;
  if ('d' in v) return null;
  const out: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: v.x, alg: 'EdDSA', use: 'sig' };
  if (typeof v.kid === 'string') out.kid = v.kid;
  return out;
}

export type SigningKeyObject = KeyObject;

const importCache = new Map<string, KeyObject>();

/**
 * Imports a JWK into a key object once and caches it by (x, private or not):
 * importing on every request would cost more than the signature itself.
 */
export function importEd25519(jwk: PublicJwk | PrivateJwk): KeyObject {
  const isPrivate = 'd' in jwk;
  const cacheKey = `${isPrivate ? 'priv' : 'pub'}:${jwk.x}`;
  let key = importCache.get(cacheKey);
  if (!key) {
    key = isPrivate
      ? createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: (jwk).d }, format: 'jwk' })
      : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    importCache.set(cacheKey, key);
  }
  return key;
}
