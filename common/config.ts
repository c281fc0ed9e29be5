import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { boolFromString, envName, intFromString, pathFromString, type ConfigShape, type ConfigSlice } from './config-slice.js';
import { syncConfig as mainSyncConfig } from '../main-site/sync/config.js';
import { syncConfig as partnerSyncConfig } from '../partner-site/sync/config.js';
import { logsConfig as partnerLogsConfig } from '../partner-site/logs/config.js';
import { shopConfig as partnerShopConfig } from '../partner-site/shop/config.js';
import { shopConfig as mainShopConfig } from '../main-site/shop/config.js';

export { envName, type ConfigSlice } from './config-slice.js';

export type SiteRole = 'main' | 'partner';

/**
 * The ground floor's keys: what every site needs whatever its capabilities.
 * Each key is settable as TIEUP_<UPPER_SNAKE> in the environment or as the
 * camelCase key in the JSON file named by TIEUP_CONFIG; the environment wins.
 * A capability's keys live in its module's `config` slice (config-slice.ts).
 */
const GROUND = {
  siteId: z
    .string({ error: 'is required (a short lowercase id such as "main" or "north")' })
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1-32 characters: lowercase letters, digits and "-", starting with a letter'),
  host: z.string().min(1).default('127.0.0.1'),
  port: intFromString(0, 65535).default(3000),
  /** Base URL peers use to reach this site; defaults to http://host:port. */
  publicUrl: z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  dataDir: pathFromString('data'),
  /** Defaults to <dataDir>/<siteId>.sqlite. */
  dbFile: z.string().min(1).optional(),
  keysDir: pathFromString('keys'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  keyGraceSeconds: intFromString(0, 90 * 86400).default(86400),
  maxPeerKeyGraceSeconds: intFromString(0, 90 * 86400).default(7 * 86400),
  shutdownTimeoutMs: intFromString(100, 600000).default(10000),
  cookieSecure: boolFromString.default(false),
  s2sBodyLimitBytes: intFromString(1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  loginMaxFailuresPerAccount: intFromString(1, 1000).default(5),
  loginMaxFailuresPerIp: intFromString(1, 100000).default(20),
  loginWindowSeconds: intFromString(1, 86400).default(900),
  /** Access log: group-commit interval. */
  logFlushMs: intFromString(1, 1000).default(5),
  logCheckpointMs: intFromString(50, 3600_000).default(1000),
  logCheckpointEntries: intFromString(1, 1_000_000).default(1024),
  /** Answer anonymous product-page GETs before express (same bytes, headers and log entries). */
  fastPath: boolFromString.default(true),
} satisfies ConfigShape;

type Ground = z.output<z.ZodObject<typeof GROUND>>;

/** The ground floor's keys, seen as a slice (for listings such as `tieup modules`). */
export const GROUND_CONFIG: ConfigSlice<typeof GROUND> = { shape: GROUND };

/** The ground floor's keys once loaded: the role, and the derived defaults filled in. */
export type GroundConfig = Omit<Ground, 'publicUrl' | 'dbFile'> & {
  role: SiteRole;
  publicUrl: string;
  dbFile: string;
};

/**
 * Every capability's slice, of both kinds of site: the one list the
 * configuration type and loadConfig's default are composed from (host.ts
 * refuses to start a site whose modules bring a slice missing here).
 *
 * Every site composes all of them, a partner the main site's keys too (and
 * ignores them). So `SiteConfig` is one type, exact for every key a
 * capability reads (`ctx.config.<key>`, never optional), and true at run time
 * in every process; one TIEUP_CONFIG file, or one set of test overrides, can
 * serve both kinds of site; and loadConfig needs no site definition, which
 * the ground floor cannot import.
 */
export const CONFIG_SLICES = [mainSyncConfig, partnerSyncConfig, partnerLogsConfig, partnerShopConfig, mainShopConfig] as const;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type SliceShapes<S extends readonly ConfigSlice[]> = UnionToIntersection<S[number]['shape']> extends infer X extends ConfigShape ? X : never;

/** What a list of slices adds to the configuration. */
export type ConfigOfSlices<S extends readonly ConfigSlice[]> = [S[number]] extends [never] ? object : z.output<z.ZodObject<SliceShapes<S>>>;
type InputOfSlices<S extends readonly ConfigSlice[]> = [S[number]] extends [never] ? object : z.input<z.ZodObject<SliceShapes<S>>>;

/** A site's configuration: the ground floor's keys and every capability's, derived from their schemas. */
export interface SiteConfig extends GroundConfig, ConfigOfSlices<typeof CONFIG_SLICES> {}

/** What loadConfig accepts as overrides (and what the file and environment may set), key by key. */
export interface SiteConfigInput extends z.input<z.ZodObject<typeof GROUND>>, InputOfSlices<typeof CONFIG_SLICES> {}

/** The ground floor's schema composed with the slices'; a key two slices declare must be the very same schema. */
function compose(slices: readonly ConfigSlice[]): z.ZodObject<ConfigShape> {
  const shape: Record<string, z.ZodType> = { ...GROUND };
  for (const slice of slices) {
    for (const [key, schema] of Object.entries(slice.shape)) {
      if (key in shape && shape[key] !== schema) throw new Error(`configuration key "${key}" is declared twice with different schemas`);
      shape[key] = schema as z.ZodType;
    }
  }
  return z.object(shape);
}

const ALL = compose(CONFIG_SLICES);

/** Every key the file and the environment may set, with all slices. */
export const CONFIG_KEYS = Object.keys(ALL.shape) as (keyof SiteConfig & string)[];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => '  - ' + p).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Builds a site's configuration from the file, the environment and explicit
 * overrides, in rising priority: the ground floor's keys and every slice's
 * (by default all of CONFIG_SLICES; see there why). Every bad value is
 * reported, named by its environment variable, in one ConfigError.
 */
export function loadConfig(role: SiteRole, env?: NodeJS.ProcessEnv, overrides?: Partial<SiteConfigInput>): SiteConfig;
export function loadConfig<const S extends readonly ConfigSlice[]>(
  role: SiteRole,
  env: NodeJS.ProcessEnv,
  overrides: Partial<z.input<z.ZodObject<typeof GROUND>> & InputOfSlices<S>>,
  slices: S,
): GroundConfig & ConfigOfSlices<S>;
export function loadConfig(role: SiteRole, env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}, slices: readonly ConfigSlice[] = CONFIG_SLICES): GroundConfig {
  const schema = slices === CONFIG_SLICES ? ALL : compose(slices);
  const keys = Object.keys(schema.shape);
  const problems: string[] = [];
  let fileValues: Record<string, unknown> = {};
  const file = env.TIEUP_CONFIG;
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push(`TIEUP_CONFIG (${file}): must contain one JSON object`);
      } else {
        fileValues = parsed as Record<string, unknown>;
        for (const k of Object.keys(fileValues)) {
          if (!keys.includes(k)) problems.push(`TIEUP_CONFIG (${file}): unknown key "${k}"`);
        }
      }
    } catch (err) {
      problems.push(`TIEUP_CONFIG (${file}): cannot read it as JSON: ${(err as Error).message}`);
    }
  }
  const raw: Record<string, unknown> = { ...fileValues };
  for (const key of keys) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  Object.assign(raw, overrides);

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      const given = raw[key];
      const shown = given === undefined ? '' : ` (got ${JSON.stringify(given)})`;
      problems.push(`${envName(key)}: ${issue.message}${shown}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const c = result.data as Ground & Record<string, unknown>;
  const config: GroundConfig & Record<string, unknown> = {
    ...c,
    role,
    dbFile: resolve(c.dbFile ?? `${c.dataDir}/${c.siteId}.sqlite`),
    publicUrl: (c.publicUrl ?? `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`).replace(/\/+$/, ''),
  };
  for (const slice of slices) problems.push(...(slice.check?.(config) ?? []));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
