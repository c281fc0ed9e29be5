import { z } from 'zod';
import { boundedRecord, defineEndpoint } from './endpoint.js';
import { count, currency, isoTime, period, sha256Hex, siteId } from './primitives.js';

/** Fees: a partner reads its own statement for a period from the main site. */

/**
 * A statement has one line per order and per reversal of the period, and its
 * usage lists those orders again: these bounds are where that shape stops
 * scaling (see the protocol report).
 */
export const STATEMENT_LIMITS = { maxLines: 100_000, maxOrders: 100_000, maxInputs: 32 } as const;

export const feesStatementRequest = z.strictObject({ period });

const orderAmount = z.int().min(0);

export const statementLine = z.strictObject({
  code: z.string().min(1).max(64),
  name: z.string().min(1).max(300),
  formula: z.string().max(4000),
  // Numbers are not always integers here (weightedBps is a mean).
  inputs: boundedRecord(z.string().min(1).max(64), z.union([z.string().max(200), z.number(), z.null()]), STATEMENT_LIMITS.maxInputs),
  amount: z.int(),
});

export const statementUsage = z.strictObject({
  pageAccesses: z.strictObject({ tieUp: count, original: count }),
  uniqueUsers: count,
  content: z.strictObject({ tieUpPages: count, originalPages: count, tieUpBytes: count, originalBytes: count }),
  orders: z.array(z.strictObject({ id: z.string().min(1).max(64), amount: orderAmount, currency })).max(STATEMENT_LIMITS.maxOrders),
  reversals: z.array(z.strictObject({ orderId: z.string().min(1).max(64), orderAmount, currency, kind: z.enum(['cancel', 'refund']) })).max(STATEMENT_LIMITS.maxOrders),
  /** Answers that are not page accesses, each under its own kind (absent on statements from before the rule). */
  otherAccesses: z.strictObject({ shopActions: count, errors: count, assets: count, other: count }).optional(),
});

/** The main site's PartnerStatement: the fee engine's statement plus its status and usage. */
export const feesStatementAnswer = z.strictObject({
  partner: siteId,
  period,
  currency,
  timeZone: z.string().min(1).max(64),
  contractVersion: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a contract version is its effectiveFrom date'),
  partnershipType: z.enum(['link', 'template', 'content']),
  /** What counted as a page access; absent on statements computed before the rule existed ("all-answers"). */
  accessCounting: z.enum(['page-views', 'all-answers']).optional(),
  rounding: z.string().max(500),
  lines: z.array(statementLine).max(STATEMENT_LIMITS.maxLines),
  total: z.int(),
  checkpoint: z.strictObject({ site: siteId, size: count, root: sha256Hex }).nullable(),
  status: z.enum(['draft', 'closed']),
  hash: sha256Hex.nullable(),
  closedAt: isoTime.nullable(),
  usage: statementUsage,
});

export const FEES_STATEMENT = defineEndpoint({
  name: 'fees.statement',
  method: 'POST',
  path: '/s2s/fees/statement',
  request: feesStatementRequest,
  response: feesStatementAnswer,
  errors: ['no_fee_contract'],
  callers: 'partner',
});
