import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { isoTime, keyId, siteId, siteRole } from './primitives.js';

/** What every site answers, whatever its role: who is who, and key rotation. */

/** Calls that carry nothing still send "{}" (the wire today), and nothing else. */
export const emptyRequest = z.strictObject({});

export const helloAnswer = z.strictObject({
  protocolVersion: z.int().min(1).max(1000),
  caller: z.strictObject({ id: siteId, kid: keyId }),
  callee: z.strictObject({ id: siteId, role: siteRole }),
  serverTime: isoTime,
});

export const PEER_HELLO = defineEndpoint({
  name: 'peer.hello',
  method: 'POST',
  path: '/s2s/hello',
  request: emptyRequest,
  response: helloAnswer,
  errors: [],
  callers: 'any',
});

/** The outcome of the hello the callee made back to us (the peer store's HelloResult). */
export const helloBackAnswer = z.strictObject({
  at: isoTime,
  ok: z.boolean(),
  // Built by the answering site from its own error codes and messages; bounded generously.
  code: z.string().min(1).max(200).optional(),
  message: z.string().max(4000).optional(),
  skewMs: z.int().optional(),
  rttMs: z.int().min(0).optional(),
});

export const PEER_HELLO_BACK = defineEndpoint({
  name: 'peer.hello-back',
  method: 'POST',
  path: '/s2s/hello-back',
  request: emptyRequest,
  response: helloBackAnswer,
  errors: [],
  callers: 'any',
});

/** An Ed25519 public JWK as publicPart() writes it; a private member ("d") is an unknown key and refused. */
export const publicJwk = z.strictObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'x is a 43-character base64url Ed25519 public key'),
  kid: z.string().min(1).max(100).optional(),
  alg: z.literal('EdDSA').optional(),
  use: z.literal('sig').optional(),
});

export const keyAnnouncement = z.strictObject({
  key: publicJwk,
  /** A compact JWS signed by the announced key (proof of possession). */
  proof: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'proof is a compact JWS'),
  previousValidUntil: isoTime,
});

export const keyAnnouncementAnswer = z.strictObject({
  accepted: keyId,
  previousValidUntil: isoTime,
});

export const PEER_KEYS_ANNOUNCE = defineEndpoint({
  name: 'peer.keys-announce',
  method: 'POST',
  path: '/s2s/keys/announce',
  request: keyAnnouncement,
  response: keyAnnouncementAnswer,
  errors: ['invalid_announcement'],
  callers: 'any',
});
