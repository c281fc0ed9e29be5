import { z } from 'zod';
import { MINOR_UNITS, roundDiv } from '../money.js';
import { ITEM_ID_RE } from './item.js';
import { reconcilePeriod, type MainCharge } from './reconcile.js';

/**
 * Supplier contracts and payment statements (seed S27-S30, 【0094】, Fig. 30).
 * A contract says, per item, how the supplier's share is computed; the
 * operator sets it, each change a new version; a period is paid by the latest
 * version in force from that period or earlier. Pure, so `tieup paid
 * statements recompute` gets the same lines offline.
 */
export const ROUNDING_RULE = 'each line is computed exactly and rounded once to the nearest minor unit, halves away from zero';

const money = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
export const contractBasis = z.discriminatedUnion('type', [
  /** A share of what the members were charged for each delivery (key or subscription period), in basis points. */
  z.strictObject({ type: z.literal('royalty_per_delivery'), bps: z.int().min(0).max(10_000) }),
  /** A unit price for each access (an issued key of a per-access item). */
  z.strictObject({ type: z.literal('unit_price_per_access'), unitPrice: money }),
  /** A unit price for each subscriber charged for a period in the month (seed Fig. 30). */
  z.strictObject({ type: z.literal('per_subscriber'), unitPrice: money }),
  /** A one-off fee for placing the item, paid in the statement of the given month. */
  z.strictObject({ type: z.literal('placement_fee'), amount: money, period: reconcilePeriod }),
  /** A fixed fee every month the contract is in force. */
  z.strictObject({ type: z.literal('fixed_per_period'), amount: money }),
]);
export type ContractBasis = z.output<typeof contractBasis>;
export const BASIS_TYPES = ['royalty_per_delivery', 'unit_price_per_access', 'per_subscriber', 'placement_fee', 'fixed_per_period'] as const;

export const supplierContract = z
  .strictObject({
    /** The supplier id items name in item.json. */
    supplier: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a supplier id is 1-64 lowercase letters, digits or "-"'),
    /** The supplier's party at the portal: who sees the statements and gets the notices. */
    party: z.string().min(1).max(64),
    effectiveFrom: reconcilePeriod,
    currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
    items: z
      .array(z.strictObject({ item: z.string().regex(ITEM_ID_RE, 'an item id'), basis: contractBasis }))
      .min(1)
      .max(1000),
  })
  .refine((c) => new Set(c.items.map((i) => i.item)).size === c.items.length, { message: 'each item appears once', path: ['items'] });
export type SupplierContract = z.output<typeof supplierContract>;

/** What one partner contributes to a period: its main-site charges, and whether its statement reconciled. */
export interface PartnerPeriod {
  partner: string;
  /** reconciled or accepted: counted; otherwise held with `reason`. */
  included: boolean;
  reason: string | null;
  charges: MainCharge[];
}

export interface SupplierLine {
  item: string;
  partner: string | null;
  basis: ContractBasis['type'];
  quantity: number;
  /** unit price, bps, or the fixed amount */
  rate: number;
  amount: number;
  status: 'included' | 'held';
  note: string;
}

export interface SupplierStatement {
  supplier: string;
  party: string;
  period: string;
  contractVersion: number;
  currency: string;
  lines: SupplierLine[];
  total: number;
  held: number;
  rounding: string;
}

/** The supplier's share for a period, line by line; held lines are 0 and say why. */
export function computeSupplierStatement(contract: SupplierContract, contractVersion: number, period: string, partners: readonly PartnerPeriod[]): SupplierStatement {
  const lines: SupplierLine[] = [];
  for (const { item, basis } of contract.items) {
    if (basis.type === 'placement_fee' || basis.type === 'fixed_per_period') {
      if (basis.type === 'placement_fee' && basis.period !== period) continue;
      const note = basis.type === 'placement_fee' ? `placement fee for ${period}` : `fixed fee for ${period}`;
      lines.push({ item, partner: null, basis: basis.type, quantity: 1, rate: basis.amount, amount: basis.amount, status: 'included', note });
      continue;
    }
    for (const p of [...partners].sort((a, b) => (a.partner < b.partner ? -1 : 1))) {
      const mine = p.charges.filter((c) => c.item === item && c.amount > 0);
      const counted = basis.type === 'unit_price_per_access' ? mine.filter((c) => c.kind === 'access') : basis.type === 'per_subscriber' ? mine.filter((c) => c.kind === 'period') : mine;
      if (!counted.length) continue;
      const charged = counted.reduce((s, c) => s + c.amount, 0);
      let amount: number;
      let rate: number;
      let note: string;
      if (basis.type === 'royalty_per_delivery') {
        rate = basis.bps;
        amount = roundDiv(BigInt(charged) * BigInt(basis.bps), 10_000n);
        note = `${(basis.bps / 100).toFixed(2)}% of ${charged} charged for ${counted.length} deliveries`;
      } else {
        rate = basis.unitPrice;
        amount = basis.unitPrice * counted.length;
        note = `${basis.unitPrice} x ${counted.length} ${basis.type === 'per_subscriber' ? 'subscribers' : 'accesses'}`;
      }
      if (p.included) lines.push({ item, partner: p.partner, basis: basis.type, quantity: counted.length, rate, amount, status: 'included', note });
      else lines.push({ item, partner: p.partner, basis: basis.type, quantity: counted.length, rate, amount: 0, status: 'held', note: `held: ${p.reason ?? 'not reconciled'} (would be ${amount})` });
    }
  }
  const total = lines.reduce((s, l) => s + l.amount, 0);
  return {
    supplier: contract.supplier,
    party: contract.party,
    period,
    contractVersion,
    currency: contract.currency,
    lines,
    total,
    held: lines.filter((l) => l.status === 'held').length,
    rounding: ROUNDING_RULE,
  };
}
