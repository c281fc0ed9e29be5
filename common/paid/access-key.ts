import { randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { signCompact, verifyCompactSignature } from '../s2s/jws.js';
import { ITEM_ID_RE } from './item.js';

/**
 * The access key: a compact JWS (RFC 7515), EdDSA over Ed25519, signed with
 * the main site's current key (the one its s2s tokens use), `kid` in the
 * header. Its `typ` differs from both s2s token types, so a key can never be
 * passed off as an s2s token or the reverse (RFC 8725 section 3.11), and the
 * checks below refuse any other typ.
 *
 * Claims: kid (key id, also the jti), ptn (partner), sub (user at the main
 * site), itm (item), iat (issue time, seconds), exp (end of its lifetime,
 * seconds), adr (the shopper's address as the partner saw it, or null).
 * Every field reads back from the token; any changed character breaks the
 * signature.
 */
export const ACCESS_KEY_TYP = 'tieup-paid-key+jwt';
export const ACCESS_KEY_ALG = 'EdDSA';

export const accessKeyClaims = z.strictObject({
  jti: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  iss: z.string().min(1).max(64),
  ptn: z.string().min(1).max(64),
  sub: z.string().min(1).max(64),
  itm: z.string().regex(ITEM_ID_RE),
  iat: z.int().min(0),
  exp: z.int().min(0),
  adr: z.string().max(64).nullable(),
});
export type AccessKeyClaims = z.output<typeof accessKeyClaims>;

const header = z.strictObject({ alg: z.literal(ACCESS_KEY_ALG), kid: z.string().min(1).max(64), typ: z.literal(ACCESS_KEY_TYP) });

const canonical = (part: string): boolean => Buffer.from(part, 'base64url').toString('base64url') === part;

/**
 * Key ids: 16 bytes from the CSPRNG each, drawn from a pool filled 256 ids
 * at a time (one randomBytes call instead of one per key, as crypto.randomUUID
 * does). Each byte is used once; the pool never refills from itself.
 */
const ID_BYTES = 16;
const POOL_IDS = 256;
let idPool = Buffer.alloc(0);
let idAt = 0;
export const newKeyId = (): string => {
  if (idAt >= idPool.length) {
    idPool = randomBytes(ID_BYTES * POOL_IDS);
    idAt = 0;
  }
  const id = idPool.toString('base64url', idAt, idAt + ID_BYTES);
  idAt += ID_BYTES;
  return id;
};

export function signAccessKey(key: { kid: string; privateKey: KeyObject }, claims: AccessKeyClaims): string {
  return signCompact({ alg: ACCESS_KEY_ALG, kid: key.kid, typ: ACCESS_KEY_TYP }, Buffer.from(JSON.stringify(claims)), key.privateKey);
}

/** A compact JWS of base64url parts: the only characters a key can have in a URL path. */
const TOKEN_RE = /^[A-Za-z0-9_-]{10,200}\.[A-Za-z0-9_-]{10,1000}\.[A-Za-z0-9_-]{86}$/;

/**
 * Reads a key's header and claims WITHOUT checking the signature (for display,
 * and to pick the verification key). undefined when it is not shaped like one.
 */
export function readAccessKey(token: string): { kid: string; claims: AccessKeyClaims } | undefined {
  if (!TOKEN_RE.test(token)) return undefined;
  const [h, p] = token.split('.') as [string, string, string];
  try {
    const hd = header.safeParse(JSON.parse(Buffer.from(h, 'base64url').toString('utf8')));
    const cl = accessKeyClaims.safeParse(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    if (!hd.success || !cl.success) return undefined;
    return { kid: hd.data.kid, claims: cl.data };
  } catch {
    return undefined;
  }
}

/**
 * Checks a key: shape, header (alg, typ, kid), signature under the key the
 * kid names (`keyFor` answers only keys the main site still holds valid),
 * and the issuer. The claims, or undefined for anything else.
 */
export function verifyAccessKey(token: string, keyFor: (kid: string) => KeyObject | undefined, issuer: string): AccessKeyClaims | undefined {
  const read = readAccessKey(token);
  if (!read) return undefined;
  const key = keyFor(read.kid);
  if (!key) return undefined;
  // The signature covers the exact header and payload text, so a changed character there fails it. base64url
  // decoding ignores the unused low bits of a last character, so a signature character changed only in those
  // would still verify: each part must be the canonical encoding of its bytes.
  if (!token.split('.').every(canonical)) return undefined;
  if (!verifyCompactSignature(token, key)) return undefined;
  if (read.claims.iss !== issuer) return undefined;
  return read.claims;
}
