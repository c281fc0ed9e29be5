import { request } from 'undici';
import { z } from 'zod';
import { groundErrors, type AppError } from '../errors.js';
import { parsePublicJwk, thumbprint, type PublicJwk } from '../keys/jwk.js';
import type { SiteRole } from '../config.js';
import type { Peer } from '../store/peer-store.js';
import type { SiteContext } from './context.js';

export const SITE_ID_RE = /^[a-z][a-z0-9-]{0,31}$/;

// zod runs every refinement even after .url() has refused the value: each parses it without throwing, so a bad URL is a 400, not a 500.
const urlOf = (u: string): URL | null => (URL.canParse(u) ? new URL(u) : null);
const httpUrl = (name: string) =>
  z
    .string()
    .url(`${name} must be an absolute URL`)
    .refine((u) => /^https?:$/.test(urlOf(u)?.protocol ?? 'http:'), `${name} must be http or https`)
    .refine((u) => !urlOf(u)?.username && !urlOf(u)?.password, `${name} must not carry credentials`);
const baseUrl = httpUrl('baseUrl')
  .refine((u) => !urlOf(u)?.search && !urlOf(u)?.hash, 'baseUrl must not have a query or fragment')
  .transform((u) => u.replace(/\/+$/, ''));

const enrolmentFields = z
  .object({
    id: z.string().regex(SITE_ID_RE, 'id must be 1-32 lowercase letters, digits or "-", starting with a letter'),
    /** What the console calls the peer ("North Market"); the id when none is given. */
    name: z.string().trim().min(1, 'name must not be empty').max(80, 'name must be at most 80 characters').optional(),
    baseUrl,
    /** The peer's public key(s), handed over out of band. */
    keys: z.array(z.unknown()).max(4).optional(),
    /** RFC 7638 thumbprint given out of band; with no keys, the key is fetched from the peer's JWKS and must match it. */
    thumbprint: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'thumbprint must be a base64url SHA-256 JWK thumbprint')
      .optional(),
    /** Where to fetch the key when no keys are given (default: <baseUrl>/.well-known/jwks.json). */
    jwksUrl: httpUrl('jwksUrl').optional(),
    /** The partner's contract terms, one slice per capability (main site only; checked by the site's terms). */
    contract: z.unknown().optional(),
  })
  .strict();

/**
 * Enrolment pins at once, so trust must come with it: the keys themselves, or
 * the thumbprint that names the key to fetch.
 */
export const enrolmentSchema = enrolmentFields.refine((v) => (v.keys && v.keys.length > 0) || v.thumbprint, {
  message: "give the peer's public key (keys) or its thumbprint (thumbprint)",
});

/**
 * A preview pins nothing: it only fetches and shows the key(s) an operator is
 * about to pin, so a JWKS URL alone will do; the operator confirms the shown
 * thumbprint, and the enrolment that follows carries that key and thumbprint.
 */
export const enrolmentPreviewSchema = enrolmentFields.refine((v) => (v.keys && v.keys.length > 0) || v.thumbprint || v.jwksUrl, {
  message: "give the peer's key thumbprint or a JWKS URL to fetch its key from",
});

export type EnrolmentInput = z.input<typeof enrolmentSchema>;

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw groundErrors.invalid_request(problems.join('; '), { problems });
  }
  return r.data;
}

/** A key about to be pinned: the kid its JWKS gave it (if any), its RFC 7638 thumbprint, the public JWK. */
export interface KeyToPin {
  servedKid: string | null;
  thumbprint: string;
  publicJwk: PublicJwk;
}

/**
 * Works out which keys to pin. Trust comes from the operator (a key file, a
 * thumbprint read off the other operator's console, or the thumbprint the
 * console showed before "Confirm and pin"); the peer's JWKS endpoint is only a
 * way to fetch the key.
 */
async function keysToPin(input: z.output<typeof enrolmentFields>): Promise<KeyToPin[]> {
  let candidates: PublicJwk[] = [];
  const jwksUrl = input.jwksUrl ?? `${input.baseUrl}/.well-known/jwks.json`;
  if (input.keys && input.keys.length) {
    for (const k of input.keys) {
      const jwk = parsePublicJwk(k);
      if (!jwk) throw groundErrors.invalid_key('every key must be an Ed25519 public JWK (kty OKP, crv Ed25519, x) without private members');
      candidates.push(jwk);
    }
  } else {
    candidates = await fetchJwks(jwksUrl);
    if (candidates.length === 0) throw groundErrors.invalid_key(`${jwksUrl} lists no Ed25519 public key`);
  }
  const pinned: KeyToPin[] = [];
  for (const jwk of candidates) {
    const tp = await thumbprint(jwk);
    if (input.thumbprint && tp !== input.thumbprint) continue;
    if (pinned.some((p) => p.thumbprint === tp)) continue;
    pinned.push({ servedKid: jwk.kid ?? null, thumbprint: tp, publicJwk: { ...jwk, kid: tp } });
  }
  if (pinned.length === 0) {
    throw groundErrors.thumbprint_mismatch(`no key of ${input.keys?.length ? 'the given keys' : jwksUrl} has thumbprint ${input.thumbprint}; check the thumbprint with the peer's operator`);
  }
  return pinned;
}

async function fetchJwks(url: string): Promise<PublicJwk[]> {
  try {
    const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = (await res.body.json()) as { keys?: unknown[] };
    if (res.statusCode !== 200 || !Array.isArray(body.keys)) throw new Error(`status ${res.statusCode}`);
    return body.keys.map(parsePublicJwk).filter((k): k is PublicJwk => k !== null);
  } catch (err) {
    throw groundErrors.peer_unreachable(`cannot fetch ${url}: ${(err as Error).message}`);
  }
}

/** What would refuse a new peer before any key is fetched: itself, an id taken, terms where they cannot be written. */
function refuseNewPeer(ctx: SiteContext, role: SiteRole, input: z.output<typeof enrolmentFields>): void {
  if (input.id === ctx.config.siteId) throw groundErrors.invalid_request('a site cannot enrol itself', { problems: ['id: a site cannot enrol itself'] });
  if (ctx.peers.get(input.id)) throw groundErrors.peer_exists(`"${input.id}" is already enrolled; remove it first or update it`);
  if (role === 'main' && input.contract !== undefined) throw contractNotWritableHere();
}

/**
 * The first step of a console enrolment: checks the input as enrolment does,
 * fetches the key(s) it names and answers them for the operator to confirm.
 * Writes nothing.
 */
export async function previewEnrolment(ctx: SiteContext, role: SiteRole, raw: unknown): Promise<{ input: z.output<typeof enrolmentFields>; keys: KeyToPin[] }> {
  const input = parseOrThrow(enrolmentPreviewSchema, raw);
  refuseNewPeer(ctx, role, input);
  if (role === 'partner') ctx.terms.initial(input.contract ?? {});
  return { input, keys: await keysToPin(input) };
}

/** A partner refuses terms from anyone but its main site (its manager included). */
export const contractNotWritableHere = (): AppError =>
  groundErrors.invalid_contract('contract terms are written only by the main site; this site stores the terms the main site sends', { problems: ['contract: not writable on a partner site'] });

/** Enrols a peer (a partner on the main site, the main site on a partner). */
export async function enrolPeer(ctx: SiteContext, role: SiteRole, raw: unknown): Promise<Peer> {
  const input = parseOrThrow(enrolmentSchema, raw);
  // Only the main site writes terms: it writes every slice of a new partner (defaults for those not given);
  // a partner starts with none and stores what its main site sends.
  refuseNewPeer(ctx, role, input);
  const contract = role === 'partner' ? ctx.terms.initial(input.contract ?? {}) : undefined;
  const keys = (await keysToPin(input)).map((k) => ({ thumbprint: k.thumbprint, publicJwk: k.publicJwk }));
  const peer = ctx.peers.add({ id: input.id, role, baseUrl: input.baseUrl, displayName: input.name ?? null, contract, ackedKid: ctx.keyring().current.kid, keys });
  ctx.logger.info({ event: 'peer_enrolled', peer: peer.id, role, keys: keys.map((k) => k.thumbprint) }, 'peer enrolled');
  return peer;
}

/** The peer as the consoles and the JSON API show it: never a private member, always the pinned thumbprints. */
export function describePeer(ctx: SiteContext, peer: Peer) {
  return {
    id: peer.id,
    role: peer.role,
    name: peer.displayName,
    baseUrl: peer.baseUrl,
    status: peer.status,
    contract: peer.contract,
    /** What makes stored terms unreadable ("sync.requiresApproval: ..."); code that needs such terms refuses to act for this peer. */
    contractProblems: ctx.terms.problems(peer.contract),
    keys: ctx.peers.keys(peer.id).map((k) => ({ thumbprint: k.thumbprint, pinnedBy: k.pinnedBy, pinnedAt: k.pinnedAt, validUntil: k.validUntil })),
    ourKeyPinnedByPeer: peer.ackedKid,
    lastHello: peer.lastHello,
    /** The last authenticated exchange either way (any s2s call, not only a hello); at most 30 s stale. */
    lastContact: peer.lastContact,
    createdAt: peer.createdAt,
    updatedAt: peer.updatedAt,
  };
}

export function describeSite(ctx: SiteContext) {
  const kr = ctx.keyring();
  return {
    id: ctx.config.siteId,
    role: ctx.config.role,
    publicUrl: ctx.config.publicUrl,
    keys: kr.valid().map((k) => ({ kid: k.kid, thumbprint: k.kid, createdAt: k.createdAt, retiresAt: k.retiresAt, current: k.kid === kr.current.kid })),
  };
}
