import { CompactSign } from 'jose';
import { request } from 'undici';
import { bodyHash, newJti, nowSeconds, REQUEST_TYP, type RequestClaims } from '../../common/s2s/tokens.js';
import type { SigningKey } from '../../common/keys/keystore.js';

/** Builds a request token with any claim or header changed, to drive each rejection path. */
export async function craftToken(key: SigningKey, claims: Partial<RequestClaims> & Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const iat = nowSeconds();
  const full = { iss: 'north', aud: 'main', iat, exp: iat + 60, jti: newJti(), htm: 'POST', htu: '/s2s/hello', bh: bodyHash(Buffer.from('{}')), ...claims };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(full))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: REQUEST_TYP, ...header }).sign(key.privateKey);
}

export async function rawCall(baseUrl: string, opts: { method?: string; path?: string; body?: string; authorization?: string }) {
  const res = await request(baseUrl + (opts.path ?? '/s2s/hello'), {
    method: (opts.method ?? 'POST') as 'POST',
    headers: { 'content-type': 'application/json', ...(opts.authorization ? { authorization: opts.authorization } : {}) },
    body: opts.body ?? '{}',
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as { error?: { code: string; message: string } } & Record<string, unknown>) : null };
}
