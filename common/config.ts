import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

export type SiteRole = 'main' | 'partner';

/**
 * One schema for both kinds of site. Each key is settable as TIEUP_<UPPER_SNAKE>
 * in the environment or as the camelCase key in the JSON file named by
 * TIEUP_CONFIG; the environment wins.
 */
const intFromString = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

const boolFromString = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean({ error: 'must be true or false' }));

const schema = z.object({
  siteId: z
    .string({ error: 'is required (a short lowercase id such as "main" or "north")' })
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1-32 characters: lowercase letters, digits and "-", starting with a letter'),
  host: z.string().min(1).default('127.0.0.1'),
  port: intFromString(0, 65535).default(3000),
  publicUrl: z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  dataDir: z.string().min(1).default('data'),
  dbFile: z.string().min(1).optional(),
  keysDir: z.string().min(1).default('keys'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  keyGraceSeconds: intFromString(0, 90 * 86400).default(86400),
  maxPeerKeyGraceSeconds: intFromString(0, 90 * 86400).default(7 * 86400),
  shutdownTimeoutMs: intFromString(100, 600000).default(10000),
  cookieSecure: boolFromString.default(false),
  s2sBodyLimitBytes: intFromString(1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  loginMaxFailuresPerAccount: intFromString(1, 1000).default(5),
  loginMaxFailuresPerIp: intFromString(1, 100000).default(20),
  loginWindowSeconds: intFromString(1, 86400).default(900),
  contentDir: z.string().min(1).default('content'),
  templatesDir: z.string().min(1).default('templates'),
  originalDir: z.string().min(1).default('original'),
  keepReleases: intFromString(1, 1000).default(5),
  pushConcurrency: intFromString(1, 256).default(4),
  pushMaxAttempts: intFromString(1, 100).default(5),
  pushRetryBaseMs: intFromString(10, 3600_000).default(2000),
  pushBatchBytes: intFromString(1024, 64 * 1024 * 1024).default(2 * 1024 * 1024),
  driftCheckCron: z.string().min(1).default('0 */5 * * * *'),
  watchDebounceMs: intFromString(0, 60_000).default(500),
  logFlushMs: intFromString(1, 1000).default(5),
  logCheckpointMs: intFromString(50, 3600_000).default(1000),
  logCheckpointEntries: intFromString(1, 1_000_000).default(1024),
  logShipMs: intFromString(100, 3600_000).default(1000),
  logShipBatch: intFromString(1, 5000).default(2000),
  shopStateMs: intFromString(500, 3600_000).default(15_000),
  fastPath: boolFromString.default(true),
  watchContent: boolFromString.default(true),
});

export type SiteConfigInput = z.input<typeof schema>;

export interface SiteConfig {
  role: SiteRole;
  siteId: string;
  host: string;
  port: number;
  /** Base URL peers use to reach this site; defaults to http://host:port. */
  publicUrl: string;
  dataDir: string;
  dbFile: string;
  keysDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  keyGraceSeconds: number;
  maxPeerKeyGraceSeconds: number;
  shutdownTimeoutMs: number;
  cookieSecure: boolean;
  s2sBodyLimitBytes: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginWindowSeconds: number;
  /** Main site: the content folder (pages/, assets/, catalog/). */
  contentDir: string;
  /** Main site: the brand framework folder. */
  templatesDir: string;
  /** Partner: its own original pages. */
  originalDir: string;
  /** Partner: how many releases it keeps for rollback. */
  keepReleases: number;
  pushConcurrency: number;
  pushMaxAttempts: number;
  pushRetryBaseMs: number;
  pushBatchBytes: number;
  driftCheckCron: string;
  watchDebounceMs: number;
  /** Access log: group-commit interval. */
  logFlushMs: number;
  logCheckpointMs: number;
  logCheckpointEntries: number;
  /** Partner: how often new log entries are shipped to the main site. */
  logShipMs: number;
  logShipBatch: number;
  /** Partner: how often stock of tie-up goods and the shop terms are read from the main site. */
  shopStateMs: number;
  /** Answer anonymous product-page GETs before express (same bytes, headers and log entries). */
  fastPath: boolean;
  /** Main site: publish the content folder at start and on every settled edit. */
  watchContent: boolean;
}

export const CONFIG_KEYS = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

export function envName(key: string): string {
  return 'TIEUP_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => '  - ' + p).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Builds a site's configuration from the file, the environment and explicit overrides, in rising priority. */
export function loadConfig(
  role: SiteRole,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<SiteConfigInput> = {},
): SiteConfig {
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
          if (!(CONFIG_KEYS as string[]).includes(k)) problems.push(`TIEUP_CONFIG (${file}): unknown key "${k}"`);
        }
      }
    } catch (err) {
      problems.push(`TIEUP_CONFIG (${file}): cannot read it as JSON: ${(err as Error).message}`);
    }
  }
  const raw: Record<string, unknown> = { ...fileValues };
  for (const key of CONFIG_KEYS) {
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
  if (result.success && result.data.logCheckpointEntries > result.data.logShipBatch) {
    problems.push(`TIEUP_LOG_CHECKPOINT_ENTRIES (${result.data.logCheckpointEntries}) must not exceed TIEUP_LOG_SHIP_BATCH (${result.data.logShipBatch}): every shipment ends at a signed checkpoint`);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const c = result.data;
  const dataDir = resolve(c.dataDir);
  return {
    ...c,
    role,
    dataDir,
    keysDir: resolve(c.keysDir),
    contentDir: resolve(c.contentDir),
    templatesDir: resolve(c.templatesDir),
    originalDir: resolve(c.originalDir),
    dbFile: resolve(c.dbFile ?? `${dataDir}/${c.siteId}.sqlite`),
    publicUrl: (c.publicUrl ?? `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`).replace(/\/+$/, ''),
  };
}
