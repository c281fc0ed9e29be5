import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineEntryType, orderRef, v1Payload } from '../../logchain/entry-types.js';
import { currency, partyId, utcTime } from './contract.js';

/**
 * Sales and refunds of planned pages, as the main site records them. A record
 * is too rich for the log's v1 entry block, so the entry carries what an
 * auditor counts (the amount, the currency, the planner, the id) and, in
 * `session`, the SHA-256 of the record's canonical JSON: the record travels
 * beside the log (the shares evidence file) and is accepted offline only when
 * its digest matches a signed entry (recompute.ts).
 */
export const RECORD_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const recordId = z.string().regex(RECORD_ID_RE, '1-100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
/** Page and contribution ids: opaque, kept short and path-safe (they are written into log paths). */
export const OBJECT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const objectId = z.string().regex(OBJECT_ID_RE, '1-64 letters, digits, ".", "_" or "-"');
const SITE_ID_RE = /^[a-z][a-z0-9-]{0,31}$/;
const amount = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One contribution a sale carries, with who contributed it. */
export const soldContribution = z.strictObject({
  contribution: objectId,
  contributor: partyId,
  /**
   * The contribution's use count on the page at the sale (z-planned's use
   * totals); weights the page_sales_by_use basis. 1 when not given.
   */
  uses: z.int().min(0).max(1_000_000_000).default(1),
});
export type SoldContribution = z.output<typeof soldContribution>;

export const saleRecord = z
  .strictObject({
    /** Idempotency key: recording the same sale twice records it once. */
    saleId: recordId,
    time: utcTime,
    planner: partyId,
    page: objectId,
    /** One contribution, or the whole page (every contribution it carries). */
    kind: z.enum(['contribution', 'page']),
    contributions: z.array(soldContribution).max(500),
    amount,
    currency,
    /** The selling site: the main site's id, or the partner's. */
    site: z.string().regex(SITE_ID_RE, 'a site id'),
    /** The order this sale belongs to (the common order format's id, claim 8). */
    orderRef: z.string().min(1).max(200),
  })
  .superRefine((s, ctx) => {
    if (s.kind === 'contribution' && s.contributions.length !== 1) ctx.addIssue({ code: 'custom', path: ['contributions'], message: 'a contribution sale carries exactly one contribution' });
    if (new Set(s.contributions.map((c) => c.contribution)).size !== s.contributions.length) ctx.addIssue({ code: 'custom', path: ['contributions'], message: 'each contribution appears once' });
  });
export type SaleRecord = z.output<typeof saleRecord>;
export type SaleInput = z.input<typeof saleRecord>;

/** A refund or a cancellation: reverses every party's part of (some of) a sale, in the period it happens. */
export const refundRecord = z.strictObject({
  refundId: recordId,
  saleId: recordId,
  time: utcTime,
  kind: z.enum(['refund', 'cancellation']),
  /** What is given back, at most what is left of the sale; a full refund reverses every part exactly. */
  amount,
  currency,
  reason: z.string().min(1).max(500),
});
export type RefundRecord = z.output<typeof refundRecord>;
export type RefundInput = z.input<typeof refundRecord>;

/** An accepted contribution, for the fixed_fee basis: the fee moves from the planner's balance to the contributor's. */
export const acceptanceRecord = z.strictObject({
  contribution: objectId,
  contributor: partyId,
  planner: partyId,
  page: objectId,
  time: utcTime,
});
export type AcceptanceRecord = z.output<typeof acceptanceRecord>;

/** The canonical JSON of a record (keys sorted at every level): what its digest is taken of. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 hex of the canonical JSON: the `session` of the record's log entry. */
export function recordDigest(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}

const none = { kind: z.literal('none'), release: z.null(), bytes: z.literal(0), client: z.null(), session: z.string().regex(/^[0-9a-f]{64}$/) };

/**
 * The main site's log entries for planned shares. In every one `session` is
 * the record's digest and `user` the party the record belongs to:
 *   planned_sale      path /planned/<page>/sales/<sale id>, user the planner, order {sale id, amount, currency}
 *   planned_refund    path /planned/<page>/refunds/<refund id>, user the planner, order {refund id, amount, currency}
 *   planned_contract  path /planned/contracts/<version>, user the planner, order null
 *   planned_accept    path /planned/<page>/contributions/<contribution>, user the planner, order null
 *   planned_payout    path /planned/payouts/<planner>/<period start>, user the party paid, order {payout id, amount, currency}
 */
export const plannedSaleEntry = defineEntryType({ type: 'planned_sale', version: 1, capability: 'planned', payload: v1Payload({ ...none, user: partyId, order: orderRef }) });
export const plannedRefundEntry = defineEntryType({ type: 'planned_refund', version: 1, capability: 'planned', payload: v1Payload({ ...none, user: partyId, order: orderRef }) });
export const plannedContractEntry = defineEntryType({ type: 'planned_contract', version: 1, capability: 'planned', payload: v1Payload({ ...none, user: partyId, order: z.null() }) });
export const plannedAcceptEntry = defineEntryType({ type: 'planned_accept', version: 1, capability: 'planned', payload: v1Payload({ ...none, user: partyId, order: z.null() }) });
export const plannedPayoutEntry = defineEntryType({ type: 'planned_payout', version: 1, capability: 'planned', payload: v1Payload({ ...none, user: partyId, order: orderRef }) });
export const SHARES_ENTRY_TYPES = [plannedSaleEntry, plannedRefundEntry, plannedContractEntry, plannedAcceptEntry, plannedPayoutEntry] as const;
