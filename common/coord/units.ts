import Qty from 'js-quantities';
import type { Amount } from './types.js';

/**
 * Unit conversion for components, by js-quantities (no hand-written tables).
 *
 * Only mass, volume, length, area and counts convert. Any other word ("clove",
 * "pinch", "sheet") is an opaque unit: it adds to the same word and to nothing
 * else. Mass and volume convert into each other only through a density the
 * component states; nothing guesses one.
 */

export type UnitKind = 'mass' | 'volume' | 'length' | 'area' | 'count';

/** Count words js-quantities does not know, read as "each". */
const COUNT_WORDS = new Set(['piece', 'pieces', 'pc', 'pcs', 'x', 'unit', 'units', 'item', 'items']);

const QTY_KINDS: Record<string, UnitKind> = { mass: 'mass', volume: 'volume', length: 'length', area: 'area', unitless: 'count' };

/**
 * Every spelling js-quantities accepts for a unit of a kind we convert. A unit
 * string is read by js-quantities only when it is one of these: otherwise its
 * parser would take "pinch" for a length ("pi" x "nch"), which is worse than
 * not converting at all.
 */
const KNOWN = ((): Map<string, UnitKind> => {
  const m = new Map<string, UnitKind>();
  for (const [qk, kind] of Object.entries(QTY_KINDS)) {
    for (const u of Qty.getUnits(qk)) for (const a of Qty.getAliases(u)) m.set(a, kind);
  }
  // js-quantities lists metric units without their prefixes: add milli-, centi-, deci- and kilo- of gram, litre and metre.
  const prefixes: [string, string][] = [
    ['m', 'milli'],
    ['c', 'centi'],
    ['d', 'deci'],
    ['k', 'kilo'],
  ];
  for (const [base, kind] of [
    ['gram', 'mass'],
    ['liter', 'volume'],
    ['meter', 'length'],
  ] as const) {
    for (const a of Qty.getAliases(base)) {
      for (const [short, long] of prefixes) m.set(a.length <= 1 ? short + a : long + a, kind);
    }
  }
  for (const [u, kind] of [
    ['m2', 'area'],
    ['cm2', 'area'],
    ['m^2', 'area'],
  ] as const)
    m.set(u, kind);
  // "each" and the dozens are unitless with a value, which is what a count is.
  for (const u of ['each', 'dozen', 'doz']) m.set(u, 'count');
  return m;
})();

/** The spelling used for conversion: count words become "each"; case is kept for js-quantities ("L" and "l" are both litres). */
export function normalizeUnit(unit: string): string {
  const u = unit.trim();
  const lower = u.toLowerCase();
  if (COUNT_WORDS.has(lower)) return 'each';
  if (KNOWN.has(u)) return u;
  if (KNOWN.has(lower)) return lower;
  return lower;
}

/** The kind of a unit, or null for an opaque word. */
export function unitKind(unit: string): UnitKind | null {
  return KNOWN.get(normalizeUnit(unit)) ?? null;
}

/** A density string ("0.59 g/ml") as grams per millilitre, or null when it is not a mass per volume. */
export function densityGramsPerMl(density: string): number | null {
  try {
    const q = Qty.parse(density);
    if (q === null || q.kind() !== 'density') return null;
    const v = q.to('g/ml').scalar;
    return Number.isFinite(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

/**
 * `value` of `from` expressed in `to`, or null when they do not convert (other
 * kinds, an opaque word, mass<->volume without a density).
 */
export function convertQuantity(value: number, from: string, to: string, density?: string): number | null {
  // Every conversion here is linear (no temperatures), so one factor per pair serves every value; js-quantities
  // parses units on each call, which a plan over hundreds of offers would otherwise repeat thousands of times.
  const key = `${from}\u0000${to}\u0000${density ?? ''}`;
  let factor = factors.get(key);
  if (factor === undefined) {
    factor = convertOnce(1, from, to, density);
    if (factors.size > 10_000) factors.clear();
    factors.set(key, factor);
  }
  return factor === null ? null : value * factor;
}

const factors = new Map<string, number | null>();

function convertOnce(value: number, from: string, to: string, density?: string): number | null {
  const f = normalizeUnit(from);
  const t = normalizeUnit(to);
  if (f === t) return value;
  const fk = unitKind(f);
  const tk = unitKind(t);
  if (fk === null || tk === null) return null;
  if (fk === tk) return Qty(value, f).to(t).scalar;
  const massVolume = (fk === 'mass' && tk === 'volume') || (fk === 'volume' && tk === 'mass');
  if (!massVolume || density === undefined) return null;
  const gPerMl = densityGramsPerMl(density);
  if (gPerMl === null) return null;
  if (fk === 'mass') return Qty(Qty(value, f).to('g').scalar / gPerMl, 'ml').to(t).scalar;
  return Qty(Qty(value, f).to('ml').scalar * gPerMl, 'g').to(t).scalar;
}

/** Whether two units can be added (directly, or through the stated density). */
export function convertible(from: string, to: string, density?: string): boolean {
  return convertQuantity(1, from, to, density) !== null;
}

/**
 * Rounds away binary noise from conversions (0.30000000000000004 -> 0.3)
 * without losing what a shopper could measure: 9 significant digits.
 */
export function tidy(n: number): number {
  if (n === 0) return 0;
  return Number(n.toPrecision(9));
}

/** Whether a unit is a plain count ("each", "piece", "pcs", "x"...): said as a number alone, "3 eggs". */
export function isCountWord(unit: string): boolean {
  return normalizeUnit(unit) === 'each';
}

/**
 * "300 g", "1.5 kg", "1 dozen"; a plain count is the number alone ("3", read
 * with the name after it: "3 eggs", never "3 each eggs"). Numbers are shown
 * with up to 3 decimals.
 */
export function formatAmount(a: Amount): string {
  const v = Math.round(a.quantity * 1000) / 1000;
  return isCountWord(a.unit) ? `${v}` : `${v} ${a.unit}`;
}
