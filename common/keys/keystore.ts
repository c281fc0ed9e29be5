import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519Jwk, importEd25519, publicPart, type PrivateJwk, type PublicJwk, type SigningKeyObject } from './jwk.js';

/**
 * On-disk layout, one folder per site under the keys directory:
 *   keys/<site>/keyset.json          which key is current, when older ones retire
 *   keys/<site>/<kid>.private.jwk    the private JWK, mode 0600
 *   keys/<site>/<kid>.public.jwk     the public JWK
 */
export interface KeysetEntry {
  kid: string;
  createdAt: string;
  /** null for the current key; the end of the grace period for a previous one. */
  retiresAt: string | null;
}

export interface Keyset {
  site: string;
  current: string;
  keys: KeysetEntry[];
}

export const siteKeyDir = (keysDir: string, site: string): string => join(keysDir, site);
export const keysetPath = (keysDir: string, site: string): string => join(siteKeyDir(keysDir, site), 'keyset.json');

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function readKeyset(keysDir: string, site: string): Keyset | null {
  const file = keysetPath(keysDir, site);
  if (!existsSync(file)) return null;
  const ks = JSON.parse(readFileSync(file, 'utf8')) as Keyset;
  if (ks.site !== site || typeof ks.current !== 'string' || !Array.isArray(ks.keys)) {
    throw new Error(`${file} is not a valid keyset for site "${site}"`);
  }
  return ks;
}

async function writeNewKey(dir: string): Promise<PrivateJwk> {
  const jwk = await generateEd25519Jwk();
  writeAtomic(join(dir, `${jwk.kid}.private.jwk`), JSON.stringify(jwk, null, 2) + '\n', 0o600);
  writeAtomic(join(dir, `${jwk.kid}.public.jwk`), JSON.stringify(publicPart(jwk), null, 2) + '\n', 0o644);
  return jwk;
}

/** Creates the site's first key; leaves an existing keyset alone (returns created: false). */
export async function generateSiteKeys(keysDir: string, site: string): Promise<{ created: boolean; keyset: Keyset }> {
  const existing = readKeyset(keysDir, site);
  if (existing) return { created: false, keyset: existing };
  const dir = siteKeyDir(keysDir, site);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const jwk = await writeNewKey(dir);
  const keyset: Keyset = { site, current: jwk.kid!, keys: [{ kid: jwk.kid!, createdAt: new Date().toISOString(), retiresAt: null }] };
  writeAtomic(keysetPath(keysDir, site), JSON.stringify(keyset, null, 2) + '\n', 0o644);
  return { created: true, keyset };
}

/**
 * Makes a new current key. The previous current key stays valid for
 * `graceSeconds`; keys whose grace has ended are deleted from disk.
 */
export async function rotateSiteKeys(keysDir: string, site: string, graceSeconds: number): Promise<{ keyset: Keyset; newKid: string; previousKid: string }> {
  const ks = readKeyset(keysDir, site);
  if (!ks) throw new Error(`no keys for site "${site}" in ${siteKeyDir(keysDir, site)}; run "tieup keys generate --site ${site}" first`);
  const dir = siteKeyDir(keysDir, site);
  const now = new Date();
  const jwk = await writeNewKey(dir);
  const retiresAt = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const keys: KeysetEntry[] = [];
  for (const k of ks.keys) {
    const r = k.kid === ks.current ? retiresAt : k.retiresAt;
    if (r !== null && r <= now.toISOString()) {
      rmSync(join(dir, `${k.kid}.private.jwk`), { force: true });
      rmSync(join(dir, `${k.kid}.public.jwk`), { force: true });
      continue;
    }
    keys.push({ ...k, retiresAt: r });
  }
  keys.push({ kid: jwk.kid!, createdAt: now.toISOString(), retiresAt: null });
  const next: Keyset = { site, current: jwk.kid!, keys };
  writeAtomic(keysetPath(keysDir, site), JSON.stringify(next, null, 2) + '\n', 0o644);
  return { keyset: next, newKid: jwk.kid!, previousKid: ks.current };
}

export interface SigningKey {
  kid: string;
  createdAt: string;
  retiresAt: string | null;
  publicJwk: PublicJwk;
  privateKey: SigningKeyObject;
}

/** A site's own keys, loaded once: the current one signs, the others are kept through their grace. */
export class Keyring {
  constructor(
    readonly site: string,
    readonly current: SigningKey,
    private readonly all: SigningKey[],
  ) {}

  /** Keys still inside their validity (current, or previous before retirement). */
  valid(now = new Date()): SigningKey[] {
    const iso = now.toISOString();
    return this.all.filter((k) => k.retiresAt === null || k.retiresAt > iso);
  }

  get(kid: string, now = new Date()): SigningKey | undefined {
    return this.valid(now).find((k) => k.kid === kid);
  }

  /** The public JWKS: current and previous keys in grace, never a private member. */
  jwks(now = new Date()): { keys: PublicJwk[] } {
    return { keys: this.valid(now).map((k) => publicPart({ ...k.publicJwk, kid: k.kid })) };
  }
}

export async function loadKeyring(keysDir: string, site: string): Promise<Keyring> {
  const ks = readKeyset(keysDir, site);
  if (!ks) throw new Error(`no keys for site "${site}" in ${siteKeyDir(keysDir, site)}; run "tieup keys generate --site ${site}"`);
  const dir = siteKeyDir(keysDir, site);
  const loaded: SigningKey[] = [];
  for (const k of ks.keys) {
    const file = join(dir, `${k.kid}.private.jwk`);
    if (!existsSync(file)) {
      if (k.kid === ks.current) throw new Error(`the current key file ${file} is missing`);
      continue;
    }
    const jwk = JSON.parse(readFileSync(file, 'utf8')) as PrivateJwk;
    loaded.push({ kid: k.kid, createdAt: k.createdAt, retiresAt: k.retiresAt, publicJwk: publicPart({ ...jwk, kid: k.kid }), privateKey: importEd25519(jwk) });
  }
  const current = loaded.find((k) => k.kid === ks.current)!;
  return new Keyring(site, current, loaded);
}
