import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, type CliOptions, type Flags } from '../cli/command.js';
import { SITE_ID_RE } from '../site/enrolment.js';

/**
 * What an auditor trusts: which keys sign which site's log, and which keys
 * witness. A bundle verifies only if its checkpoints are signed by a key of
 * the bundle's own site and cosigned by a key of a named witness other than
 * that site; a key is bound to exactly one site id, so no key can sign a log
 * and witness it too. Keys come from the auditor (pinned), or, only when told
 * so, from the bundle's own header (which whoever made the bundle chose).
 */
export interface Trust {
  /** Log keys (the JWK "x", base64url raw Ed25519) by site id. */
  sites: Record<string, string[]>;
  /** Witness keys by witness site id (the main site's id: it cosigns as tieup-witness/<id>). */
  witnesses: Record<string, string[]>;
  source: 'pinned' | 'bundle';
}

/** Ed25519 public keys ("x") from JWKS documents (e.g. a site's /.well-known/jwks.json), a single JWK, or lists of those. */
export function keysFromJwks(docs: unknown[]): string[] {
  const out: string[] = [];
  const visit = (d: unknown) => {
    if (Array.isArray(d)) return d.forEach(visit);
    const keys = (d as { keys?: unknown[] })?.keys;
    if (Array.isArray(keys)) return keys.forEach(visit);
    const j = d as { kty?: string; crv?: string; x?: string };
    if (j?.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string' && !out.includes(j.x)) out.push(j.x);
  };
  docs.forEach(visit);
  return out;
}

/**
 * Why a trust cannot be used, or null: a key given for two site ids would let
 * one party sign a log and witness it (or sign another site's log), so it is
 * refused whatever the bundle holds. The same id under sites and witnesses
 * (the main site signs its own log and witnesses partners' with one key) is
 * allowed: a site never counts as the witness of its own log.
 */
export function trustProblem(t: Trust): string | null {
  const owner = new Map<string, string>();
  const roles: [string, Record<string, string[]>][] = [
    ['site', t.sites],
    ['witness', t.witnesses],
  ];
  for (const [role, byId] of roles) {
    for (const [id, keys] of Object.entries(byId)) {
      if (!SITE_ID_RE.test(id)) return `"${id}" is not a site id`;
      for (const x of keys) {
        const prev = owner.get(x);
        if (prev !== undefined && prev.split(' ')[1] !== id)
          return `one key (x ${x.slice(0, 12)}...) is given for ${prev} and for ${role} ${id}: a key may belong to one site only, so it can never both sign a log and witness it`;
        if (prev === undefined) owner.set(x, `${role} ${id}`);
      }
    }
  }
  return null;
}

/** The keys a bundle's header declares, bound as it declares them (only with --trust-bundle-keys). */
export function trustFromBundleKeys(keys: { role?: unknown; site?: unknown; jwk?: { x?: unknown } }[]): Trust {
  const t: Trust = { sites: {}, witnesses: {}, source: 'bundle' };
  for (const k of keys) {
    if (typeof k?.site !== 'string' || typeof k.jwk?.x !== 'string') continue;
    const into = k.role === 'log' ? t.sites : k.role === 'witness' ? t.witnesses : null;
    if (!into) continue;
    const list = (into[k.site] ??= []);
    if (!list.includes(k.jwk.x)) list.push(k.jwk.x);
  }
  return t;
}

/** The options every command that verifies a bundle takes (audit verify, audit prove, fees recompute, ...). */
export const TRUST_OPTIONS: CliOptions = {
  'site-keys': { type: 'string', multiple: true },
  'witness-keys': { type: 'string', multiple: true },
  trust: { type: 'string' },
  'allow-uncosigned': { type: 'boolean' },
  'trust-bundle-keys': { type: 'boolean' },
  keys: { type: 'string', multiple: true },
};

export const TRUST_USAGE = '(--site-keys <site>=<jwks.json>... --witness-keys <witness>=<jwks.json>... | --trust <file>) [--allow-uncosigned]';

export const BUNDLE_KEYS_WARNING =
  'WARNING: --trust-bundle-keys: verified against the keys the bundle itself carries, chosen by whoever made the bundle. This proves only that the bundle is self-consistent, NOT that the site signed it or that a witness saw it. Pin the keys (--site-keys, --witness-keys or --trust) for an audit.';

export const UNCOSIGNED_WARNING = 'WARNING: --allow-uncosigned: the result may rest on checkpoints no witness cosigned; a site alone could have rewritten or forked such a history.';

function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
}

function keysOf(value: unknown, what: string, baseDir: string): string[] {
  const list: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  const docs = list.map((v) => (typeof v === 'string' ? readJsonFile(resolve(baseDir, v), what) : v));
  const keys = keysFromJwks(docs);
  if (keys.length === 0) throw new CliError(`${what} holds no Ed25519 public key`, 2);
  return keys;
}

function addBinding(into: Record<string, string[]>, spec: string, flag: string): void {
  const eq = spec.indexOf('=');
  const id = spec.slice(0, eq);
  if (eq < 1 || !SITE_ID_RE.test(id))
    throw new CliError(`--${flag} takes <site id>=<jwks file>, e.g. --${flag} ${flag === 'site-keys' ? 'north=north-jwks.json' : 'main=main-jwks.json'} (got "${spec}")`, 2);
  const list = (into[id] ??= []);
  for (const x of keysOf(spec.slice(eq + 1), `--${flag} ${spec}`, '.')) if (!list.includes(x)) list.push(x);
}

function addTrustFile(t: Trust, file: string): void {
  const doc = readJsonFile(file, '--trust');
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(doc) || (doc.sites !== undefined && !isMap(doc.sites)) || (doc.witnesses !== undefined && !isMap(doc.witnesses))) {
    throw new CliError(`--trust ${file} must be {"sites": {"<site>": <jwks file, JWKS or list>}, "witnesses": {"<site>": ...}}`, 2);
  }
  const pairs: [Record<string, string[]>, unknown][] = [
    [t.sites, doc.sites],
    [t.witnesses, doc.witnesses],
  ];
  for (const [into, byId] of pairs) {
    for (const [id, v] of Object.entries((byId ?? {}) as Record<string, unknown>)) {
      if (!SITE_ID_RE.test(id)) throw new CliError(`--trust ${file}: "${id}" is not a site id`, 2);
      const list = (into[id] ??= []);
      for (const x of keysOf(v, `--trust ${file} (${id})`, dirname(resolve(file)))) if (!list.includes(x)) list.push(x);
    }
  }
}

export interface TrustChoice {
  /** The auditor's pinned keys; absent only with --trust-bundle-keys. */
  trust?: Trust;
  trustBundleKeys: boolean;
  allowUncosigned: boolean;
}

/**
 * The trust a command was given. `--keys` (one list for every role) is refused:
 * it let any given key sign for any site and witness for any log.
 */
export function trustFromFlags(flags: Flags): TrustChoice {
  if (Array.isArray(flags.keys) && flags.keys.length) {
    throw new CliError(
      "--keys is no longer accepted: it did not say whose key is whose. Use --site-keys <site>=<jwks.json> for the log's site and --witness-keys <witness>=<jwks.json> for the witness (e.g. --site-keys north=north-jwks.json --witness-keys main=main-jwks.json), or --trust <file>",
      2,
    );
  }
  const siteKeys = (flags['site-keys'] as string[] | undefined) ?? [];
  const witnessKeys = (flags['witness-keys'] as string[] | undefined) ?? [];
  const trustFile = typeof flags.trust === 'string' ? flags.trust : undefined;
  const trustBundleKeys = flags['trust-bundle-keys'] === true;
  const allowUncosigned = flags['allow-uncosigned'] === true;
  const pinned = siteKeys.length > 0 || witnessKeys.length > 0 || trustFile !== undefined;
  if (pinned && trustBundleKeys) throw new CliError('give pinned keys (--site-keys, --witness-keys, --trust) or --trust-bundle-keys, not both', 2);
  if (!pinned) {
    if (trustBundleKeys) return { trustBundleKeys, allowUncosigned };
    throw new CliError(
      `no keys were given: say whose key is whose with ${TRUST_USAGE} (the sites' /.well-known/jwks.json saved to files); --trust-bundle-keys uses the bundle's own keys, which proves nothing about who signed it`,
      2,
    );
  }
  const trust: Trust = { sites: {}, witnesses: {}, source: 'pinned' };
  if (trustFile) addTrustFile(trust, trustFile);
  for (const s of siteKeys) addBinding(trust.sites, s, 'site-keys');
  for (const s of witnessKeys) addBinding(trust.witnesses, s, 'witness-keys');
  const problem = trustProblem(trust);
  if (problem) throw new CliError(problem, 2);
  return { trust, trustBundleKeys, allowUncosigned };
}
