import { z } from 'zod';
import { MINOR_UNITS, roundDiv } from '../money.js';

/**
 * A supplier's revenue-share agreement for counted items: the rate n agreed
 * between operator and supplier (seed 【0064】【0065】) and the money value m
 * of one point (【0038】). Strict and versioned: each change is a new version,
 * and every statement names the version it used.
 */
export const AGREEMENT_VERSION = 1;
export const supplierAgreement = z.strictObject({
  version: z.literal(AGREEMENT_VERSION),
  /** The supplier's share n, in basis points of what the deliveries are worth. */
  rateBps: z.int().min(0).max(10_000),
  /** m: what one point is worth, in minor units of `currency`. */
  pointValue: z.int().min(0).max(1_000_000_000),
  currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
});
export type SupplierAgreement = z.output<typeof supplierAgreement>;

export const STATEMENT_ROUNDING = 'deliveries x price in points x point value x rate / 10,000, computed exactly and rounded once to the nearest minor unit, halves away from zero';

/**
 * The revenue-share statement's amount. The seed writes CC x CP x n with CC
 * the cumulative count; read literally, every statement would pay again for
 * every delivery before it. Tieup pays for the deliveries since the previous
 * statement of the item: (count now - count at the previous statement) x CP x
 * m x n. Pure, so an auditor recomputes it from the counted entries.
 */
export function statementAmount(deliveries: number, pricePoints: number, a: SupplierAgreement): number {
  return roundDiv(BigInt(deliveries) * BigInt(pricePoints) * BigInt(a.pointValue) * BigInt(a.rateBps), 10_000n);
}
