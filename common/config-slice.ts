import { resolve } from 'node:path';
import { z } from 'zod';
import type { GroundConfig } from './config.js';

/**
 * The contract for a capability's slice of the configuration. A slice is a zod
 * object shape: each key is settable as TIEUP_<UPPER_SNAKE> in the environment
 * or as the camelCase key in the TIEUP_CONFIG file, exactly like the ground
 * floor's keys (common/config.ts), and its schema parses the string an
 * environment variable gives (use the helpers below) and carries its default.
 * A capability's module exports its slice as `config`; common/config.ts
 * composes every slice with the ground floor's keys into one schema and one
 * `SiteConfig` type.
 */
export type ConfigShape = z.ZodRawShape;

export interface ConfigSlice<Shape extends ConfigShape = ConfigShape> {
  readonly shape: Shape;
  /**
   * Checks across keys, run once every key has parsed (so only on values of
   * the right type): one problem per broken rule, naming the variables by
   * their environment names. It sees the ground floor's keys and its own.
   */
  readonly check?: (config: Readonly<Record<string, unknown>>) => string[];
}

/** Declares a slice; `check` sees the ground floor's keys and the slice's own, typed. */
export function defineConfigSlice<Shape extends ConfigShape>(shape: Shape, check?: (config: Readonly<GroundConfig & z.output<z.ZodObject<Shape>>>) => string[]): ConfigSlice<Shape> {
  return check ? { shape, check: check as ConfigSlice['check'] } : { shape };
}

/** A camelCase key's environment variable: TIEUP_<UPPER_SNAKE>. */
export function envName(key: string): string {
  return 'TIEUP_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** A whole number within bounds; the environment's string is converted first. */
export const intFromString = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );

/** true/false; the environment may also say 1/0, yes/no, on/off. */
export const boolFromString = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    return v;
  },
  z.boolean({ error: 'must be true or false' }),
);

/**
 * A folder or file, resolved to an absolute path against the working
 * directory when the configuration loads; the default is resolved the same way
 * (zod's `prefault` parses it, where `default` would skip the transform).
 */
export const pathFromString = (fallback: string) =>
  z
    .string()
    .min(1)
    .transform((p) => resolve(p))
    .prefault(fallback);

/** What a key parses to and its default, for listings (`tieup modules`): undefined when it has none. */
export function defaultOf(schema: z.ZodType): unknown {
  const def = (schema as { def?: { type?: string; defaultValue?: unknown } }).def;
  if (def?.type === 'default' || def?.type === 'prefault') return def.defaultValue;
  return undefined;
}
