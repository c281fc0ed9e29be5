import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { currency, isoTime } from './primitives.js';

/**
 * Paid content: a partner asks the main site for an access key for one of its
 * members, and registers and ends its members' subscriptions to period items.
 * The member's address travels inside the signed request (seed 【0128】): the
 * partner is the only one that saw it.
 */
const itemId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
const userId = z.string().min(1).max(64);
/** Chosen by the partner once per shopper action; a retry carries the same one. */
const idempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'an idempotency key is 16-80 letters, digits, "-" or "_"');
const address = z.string().max(64);
const charge = z.strictObject({ amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER), currency });

export const paidKeyRequest = z.strictObject({ idempotencyKey, user: userId, item: itemId, clientAddress: address });

export const paidKeyAnswer = z.strictObject({
  key: z.string().min(100).max(2000),
  keyId: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  item: itemId,
  /** The item's top page on the main site, key in the path: relative links carry it to every page. */
  path: z.string().min(1).max(2100),
  chargeType: z.enum(['per_access', 'per_period']),
  /** What the partner bills its member for this key: the price for per-access items, 0 for period items (charged at subscription). */
  charge,
  issuedAt: isoTime,
  expiresAt: isoTime,
  /** true when this answers a request already answered (same idempotency key): nothing new was charged. */
  replayed: z.boolean(),
});

export const PAID_KEY_ISSUE = defineEndpoint({
  name: 'paid.key',
  method: 'POST',
  path: '/s2s/paid/keys',
  request: paidKeyRequest,
  response: paidKeyAnswer,
  errors: ['item_not_found', 'not_for_sale', 'not_yet_on_sale', 'user_unknown', 'subscription_missing', 'subscription_over', 'birth_date_missing', 'age_restricted', 'idempotency_key_reused'],
  callers: 'partner',
});

export const paidSubscribeRequest = z.strictObject({
  /** The partner's own id for the subscription period; a retry carries the same one. */
  subscriptionId: idempotencyKey,
  user: userId,
  item: itemId,
});

export const paidSubscriptionAnswer = z.strictObject({
  subscriptionId: idempotencyKey,
  item: itemId,
  user: userId,
  periodStart: isoTime,
  periodEnd: isoTime,
  /** The period's price: the partner bills its member this, once. */
  charge,
  cancelledAt: isoTime.nullable(),
  replayed: z.boolean(),
});

export const PAID_SUBSCRIBE = defineEndpoint({
  name: 'paid.subscribe',
  method: 'POST',
  path: '/s2s/paid/subscriptions',
  request: paidSubscribeRequest,
  response: paidSubscriptionAnswer,
  errors: ['item_not_found', 'not_for_sale', 'not_yet_on_sale', 'user_unknown', 'not_a_period_item', 'already_subscribed', 'birth_date_missing', 'age_restricted', 'idempotency_key_reused'],
  callers: 'partner',
});

export const PAID_UNSUBSCRIBE = defineEndpoint({
  name: 'paid.unsubscribe',
  method: 'POST',
  path: '/s2s/paid/subscriptions/end',
  request: z.strictObject({ subscriptionId: idempotencyKey }),
  response: paidSubscriptionAnswer,
  errors: ['subscription_not_found'],
  callers: 'partner',
});

/**
 * Reconciliation (issue 14 item 6): a partner submits its sales statement for
 * a month, every charge it billed its members for paid content; the main site
 * compares it with its own keys and subscriptions and answers with the
 * reconciliation (held when anything differs). A later submission for the
 * same month is a new version and replaces the earlier one.
 */
const reconPeriod = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const reconCount = z.strictObject({ count: z.int().min(0), amount: z.int().min(0) });
const reconCheckpoint = z.strictObject({ size: z.int().min(0), root: z.string().regex(/^([0-9a-f]{64})?$/) });
export const paidStatementSubmit = z.strictObject({
  period: reconPeriod,
  currency,
  source: z.enum(['records', 'csv']),
  lines: z.array(z.strictObject({ item: itemId, user: userId, at: z.iso.datetime(), amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER) })).max(200_000),
  checkpoint: reconCheckpoint.nullable(),
});
export const paidReconciliationAnswer = z.strictObject({
  partner: z.string(),
  period: reconPeriod,
  version: z.int().min(1),
  status: z.enum(['reconciled', 'held', 'accepted', 'superseded']),
  submittedAt: isoTime,
  source: z.enum(['records', 'csv']),
  currency,
  partnerCheckpoint: reconCheckpoint.nullable(),
  mainCheckpoint: reconCheckpoint,
  differences: z.record(z.string(), z.int()),
  items: z.array(z.strictObject({ item: itemId, partner: reconCount, main: reconCount, differences: z.int() })),
  lines: z.array(z.strictObject({ item: itemId, user: userId, status: z.string(), partner: reconCount, main: reconCount, at: isoTime.optional() })),
  accepted: z.strictObject({ by: z.string(), reason: z.string(), at: isoTime }).nullable(),
  versions: z.array(z.strictObject({ version: z.int(), status: z.string(), submittedAt: isoTime, source: z.string() })),
});

export const PAID_STATEMENT_SUBMIT = defineEndpoint({
  name: 'paid.statement',
  method: 'POST',
  path: '/s2s/paid/statements',
  request: paidStatementSubmit,
  response: paidReconciliationAnswer,
  errors: ['invalid_statement'],
  callers: 'partner',
});

export const PAID_RECONCILIATION = defineEndpoint({
  name: 'paid.reconciliation',
  method: 'POST',
  path: '/s2s/paid/reconciliations',
  request: z.strictObject({ period: reconPeriod }),
  response: paidReconciliationAnswer,
  errors: ['statement_not_found'],
  callers: 'partner',
});

/** One line of a ranking: position (1 = most accesses), the item and its accesses (issued keys) in the window. */
const rankingLine = z.strictObject({ rank: z.int().min(1).max(10_000), item: itemId, category: z.string().min(1).max(64), accesses: z.int().min(0).max(Number.MAX_SAFE_INTEGER) });

/** The banner for one weekday and time slot (UTC) of the asking partner, and why it was chosen. */
const bannerSlot = z.strictObject({
  /** 0 = Sunday ... 6 = Saturday (UTC). */
  weekday: z.int().min(0).max(6),
  /** Minutes after midnight (UTC) at which the slot starts. */
  start: z.int().min(0).max(1439),
  item: itemId,
  /** `slot`: most sales to this partner's members in this slot; `partner`: none in the slot, most over the whole lookback; `rankings`: no sales to this partner, top of the access ranking. */
  basis: z.enum(['slot', 'partner', 'rankings']),
  sales: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
});

/**
 * Rankings and banners, computed at the main site from its key and
 * subscription records and fetched by each partner at an interval, which
 * renders them in its own look. Only the items the asking partner is listed
 * for appear (ranks counted within them), and only its own banners.
 */
export const paidRankingsAnswer = z.strictObject({
  generatedAt: isoTime,
  windowDays: z.int().min(1).max(366),
  overall: z.array(rankingLine).max(100),
  categories: z.array(z.strictObject({ category: z.string().min(1).max(64), lines: z.array(rankingLine).max(100) })).max(100),
  slotMinutes: z.union([z.literal(30), z.literal(60)]),
  banners: z.array(bannerSlot).max(7 * 48),
});

export const PAID_RANKINGS = defineEndpoint({
  name: 'paid.rankings',
  method: 'GET',
  path: '/s2s/paid/rankings',
  request: 'none',
  response: paidRankingsAnswer,
  errors: [],
  callers: 'partner',
});
