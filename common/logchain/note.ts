import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) for checkpoints
 * (c2sp.org/tlog-checkpoint) and witness cosignatures (c2sp.org/tlog-cosignature).
 *
 *   <origin>\n<size>\n<base64 root>\n[extension lines]\n\n— <name> <base64(keyid || sig)>\n
 *
 * A key ID is the first 4 bytes of SHA-256(name || "\n" || type || public key),
 * type 0x01 for an Ed25519 note signature and 0x04 for a cosignature/v1, whose
 * signed message is "cosignature/v1\ntime <unix seconds>\n" + the checkpoint body
 * and whose signature carries the 8-byte timestamp before the 64-byte signature.
 */
const ED25519 = 0x01;
const COSIG_V1 = 0x04;
const DASH = '\u2014 ';

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
  /** Extension line: when the checkpoint was made (UTC, ISO 8601). */
  time: string;
}

export interface NoteSigner {
  name: string;
  key: KeyObject;
  publicRaw: Buffer;
}

export function rawPublicKey(jwkX: string): Buffer {
  return Buffer.from(jwkX, 'base64url');
}

export function keyId(name: string, type: number, publicRaw: Buffer): Buffer {
  return createHash('sha256')
    .update(name)
    .update('\n')
    .update(Buffer.from([type]))
    .update(publicRaw)
    .digest()
    .subarray(0, 4);
}

export function formatCheckpoint(c: CheckpointBody): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\ntime ${c.time}\n`;
}

export function parseCheckpoint(body: string): CheckpointBody | null {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return null;
  const [origin, size, root, ...ext] = lines.slice(0, -1);
  if (!origin || !/^(0|[1-9]\d{0,15})$/.test(size ?? '')) return null;
  const r = Buffer.from(root ?? '', 'base64');
  if (r.length !== 32 || r.toString('base64') !== root) return null;
  const time = ext.find((l) => l.startsWith('time '))?.slice(5);
  if (!time || Number.isNaN(Date.parse(time))) return null;
  return { origin, size: Number(size), root: r, time };
}

/** Signs a note body: the body, a blank line, one signature line. */
export function signNote(body: string, s: NoteSigner): string {
  const sig = sign(null, Buffer.from(body), s.key);
  return `${body}\n${DASH}${s.name} ${Buffer.concat([keyId(s.name, ED25519, s.publicRaw), sig]).toString('base64')}\n`;
}

export interface ParsedNote {
  body: string;
  signatures: { name: string; keyId: Buffer; payload: Buffer; line: string }[];
}

export function parseNote(note: string): ParsedNote | null {
  const cut = note.indexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) return null;
  const body = note.slice(0, cut + 1);
  const signatures: ParsedNote['signatures'] = [];
  for (const line of note.slice(cut + 2, -1).split('\n')) {
    if (!line.startsWith(DASH)) return null;
    const [name, b64] = line.slice(DASH.length).split(' ');
    if (!name || !b64) return null;
    const raw = Buffer.from(b64, 'base64');
    if (raw.length < 4 + 64) return null;
    signatures.push({ name, keyId: raw.subarray(0, 4), payload: raw.subarray(4), line });
  }
  return signatures.length ? { body, signatures } : null;
}

export interface VerifierKey {
  name: string;
  publicRaw: Buffer;
}

const keyObject = (raw: Buffer) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });

/** 'ok' when a signature by `key` over the note body verifies, 'missing' when none is by that key, 'bad' when one is and fails. */
export function checkNoteSignature(n: ParsedNote, key: VerifierKey): 'ok' | 'missing' | 'bad' {
  const id = keyId(key.name, ED25519, key.publicRaw);
  const s = n.signatures.find((x) => x.name === key.name && x.keyId.equals(id));
  if (!s) return 'missing';
  return s.payload.length === 64 && verify(null, Buffer.from(n.body), keyObject(key.publicRaw), s.payload) ? 'ok' : 'bad';
}

function cosignedMessage(body: string, unixSeconds: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${unixSeconds}\n${body}`);
}

/** A witness cosignature line over a checkpoint body ("as of this time, this is the largest consistent tree I have seen"). */
export function cosign(body: string, s: NoteSigner, at = new Date()): string {
  const ts = BigInt(Math.floor(at.getTime() / 1000));
  const tsBytes = Buffer.alloc(8);
  tsBytes.writeBigUInt64BE(ts);
  const sig = sign(null, cosignedMessage(body, ts), s.key);
  return `${DASH}${s.name} ${Buffer.concat([keyId(s.name, COSIG_V1, s.publicRaw), tsBytes, sig]).toString('base64')}`;
}

/** Verifies a cosignature line for a checkpoint body; returns its time, or a reason. */
export function checkCosignature(body: string, line: string, key: VerifierKey): { ok: true; time: Date } | { ok: false; reason: 'unknown_key' | 'bad_signature' | 'malformed' } {
  if (!line.startsWith(DASH)) return { ok: false, reason: 'malformed' };
  const [name, b64] = line.slice(DASH.length).split(' ');
  const raw = Buffer.from(b64 ?? '', 'base64');
  if (!name || raw.length !== 4 + 8 + 64) return { ok: false, reason: 'malformed' };
  if (name !== key.name || !raw.subarray(0, 4).equals(keyId(key.name, COSIG_V1, key.publicRaw))) return { ok: false, reason: 'unknown_key' };
  const ts = raw.readBigUInt64BE(4);
  const ok = verify(null, cosignedMessage(body, ts), keyObject(key.publicRaw), raw.subarray(12));
  return ok ? { ok: true, time: new Date(Number(ts) * 1000) } : { ok: false, reason: 'bad_signature' };
}

export const logOrigin = (site: string) => `tieup-log/${site}`;
export const witnessName = (site: string) => `tieup-witness/${site}`;
