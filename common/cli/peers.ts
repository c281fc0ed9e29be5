import { readFileSync } from 'node:fs';
import { CliError, need, type CliIo, type CliOptions, type Flags } from './command.js';

/** The options that name a peer and pin its key, for enrolment commands. */
export const PEER_OPTIONS = {
  id: { type: 'string' },
  'base-url': { type: 'string' },
  thumbprint: { type: 'string' },
  jwk: { type: 'string' },
  /** The display name consoles show; optional. */
  name: { type: 'string' },
  /** Where to fetch the key --thumbprint names (default: <base-url>/.well-known/jwks.json). */
  'jwks-url': { type: 'string' },
} as const satisfies CliOptions;

/** A peer as the console APIs describe it. */
export interface PeerView {
  id: string;
  baseUrl: string;
  status: string;
  keys: { thumbprint: string; validUntil: string | null }[];
  lastHello: { ok: boolean; code?: string; skewMs?: number } | null;
}

/** The enrolment body from the peer options (and --contract, where the command takes it). */
export function peerBody(flags: Flags): Record<string, unknown> {
  const body: Record<string, unknown> = { id: need(flags, 'id'), baseUrl: need(flags, 'base-url') };
  if (typeof flags.name === 'string') body.name = flags.name;
  if (typeof flags.thumbprint === 'string') body.thumbprint = flags.thumbprint;
  if (typeof flags['jwks-url'] === 'string') body.jwksUrl = flags['jwks-url'];
  if (typeof flags.jwk === 'string') {
    try {
      body.keys = [JSON.parse(readFileSync(flags.jwk, 'utf8'))];
    } catch (err) {
      throw new CliError(`cannot read --jwk ${flags.jwk}: ${(err as Error).message}`, 2);
    }
  }
  if (!body.thumbprint && !body.keys) throw new CliError('give the peer key: --thumbprint <tp> (from its console or "tieup keys show") or --jwk <public key file>', 2);
  if (typeof flags.contract === 'string') {
    try {
      body.contract = JSON.parse(flags.contract);
    } catch {
      throw new CliError('--contract must be a JSON object', 2);
    }
  }
  return body;
}

export function printPeer(io: CliIo, p: PeerView): void {
  const hello = !p.lastHello
    ? 'never checked'
    : p.lastHello.ok
      ? `last hello OK (skew ${p.lastHello.skewMs} ms)`
      : `last hello FAILED ${p.lastHello.code}${p.lastHello.skewMs === undefined ? '' : ` (clock skew ${p.lastHello.skewMs} ms)`}`;
  io.out(`${p.id.padEnd(12)} ${p.status.padEnd(10)} ${p.baseUrl.padEnd(28)} ${hello}`);
  for (const k of p.keys) io.out(`${''.padEnd(12)} key ${k.thumbprint}${k.validUntil ? ` (until ${k.validUntil})` : ''}`);
}
