import { z } from 'zod';
import { formatMoney, MINOR_UNITS } from '../../money.js';

/**
 * The planner contract (seed claim 3): how each sale of a planner's pages is
 * split between the main site, the partner that sold it, the planner and the
 * contributors, and how the parties are paid. Fixed at the planner's
 * registration; every change is a new version with its own effective time,
 * never an edit, so a sale is always split by the version that was in force
 * when it happened (contractInForce), and an auditor can recompute it.
 */

/** A portal party id (main-site/portal): planners and contributors are parties. */
export const PARTY_ID_RE = /^p-[0-9a-f]{12}$/;
export const partyId = z.string().regex(PARTY_ID_RE, 'a portal party id (p- and 12 hex digits)');

/** UTC, ISO 8601 with milliseconds, as the log writes times. */
export const UTC_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const utcTime = z
  .string()
  .regex(UTC_TIME_RE, 'a UTC time, ISO 8601 with milliseconds (2026-11-30T12:00:00.000Z)')
  .refine((t) => !Number.isNaN(Date.parse(t)) && new Date(t).toISOString() === t, 'a real UTC time');

const bps = z.int().min(0).max(10_000);
const minor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
export const currency = z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit');

/** How contributors are paid (issue 16 item 1). */
export const contributorPay = z.discriminatedUnion('basis', [
  /** bps of each sale of their contribution; a whole-page sale is shared equally among the contributions it carries. */
  z.strictObject({ basis: z.literal('contribution_sales'), bps }),
  /** bps of each sale of the planned page, shared among its contributors by their use counts at the sale. */
  z.strictObject({ basis: z.literal('page_sales_by_use'), bps }),
  /** A fixed fee per accepted contribution, paid out of the planner's part when the planner accepts it. */
  z.strictObject({ basis: z.literal('fixed_fee'), fee: minor }),
]);
export type ContributorPay = z.output<typeof contributorPay>;
export const CONTRIBUTOR_BASES = ['contribution_sales', 'page_sales_by_use', 'fixed_fee'] as const;

const pctText = (bps: number) => `${(bps / 100).toFixed(2)}%`;

/**
 * How a contributor is paid, in words that say exactly what sharesOf
 * (allocate.ts) does for a sale of one contribution and for a whole-page
 * sale, to the contributor ("you") or about contributors ("they"). Contract
 * summaries and contributor terms use it, so the words cannot drift from the split.
 */
export function contributorPayText(pay: ContributorPay, currencyCode: string, to: 'you' | 'they'): string {
  const your = to === 'you' ? 'your' : 'their';
  if (pay.basis === 'fixed_fee')
    return `a fixed fee of ${formatMoney({ amount: pay.fee, currency: currencyCode })} for each contribution the planner accepts, out of the planner's part; sales pay ${to === 'you' ? 'you' : 'them'} nothing more`;
  const p = pctText(pay.bps);
  // The example: three contributions on a page sold whole, each getting a third of the contributors' share.
  const third = pctText(pay.bps / 3);
  if (pay.basis === 'contribution_sales')
    return (
      `${p} of the price of each sale of one of ${your} contributions on its own; when the whole page is sold, ${p} of the whole-page price is divided equally among the contributions it carries, ` +
      `so each contribution gets ${p} divided by their number (with 3 contributions, ${third} of the page price each)`
    );
  return (
    `${p} of the price of each sale of one of ${your} contributions on its own; when the whole page is sold, ${p} of the whole-page price is divided among the contributions it carries ` +
    `in proportion to each one's uses so far (views and downloads of bought content; equally while none has a use)`
  );
}

export const STATEMENT_CYCLES = ['monthly', 'weekly', 'daily'] as const;
export type StatementCycle = (typeof STATEMENT_CYCLES)[number];

/** The terms of one contract version. Shares are basis points of each sale's amount. */
export const plannerTerms = z
  .strictObject({
    currency,
    /** The planner's share of every sale of its pages. */
    plannerShareBps: bps,
    contributorPay,
    /** The selling partner's handling share; on a sale at the main site this part is the main site's. */
    partnerHandlingBps: bps,
    /** The main site's share: what is left, or an explicit share (then all shares add up to 100%). */
    mainShare: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('remainder') }), z.strictObject({ type: z.literal('explicit'), bps })]),
    /** Days a part stays held after its sale before it can be paid out (refunds land in this window). */
    holdingDays: z.int().min(0).max(365),
    /** A balance below this is carried forward, not paid. */
    payoutMinimum: minor,
    statementCycle: z.enum(STATEMENT_CYCLES),
  })
  .superRefine((t, ctx) => {
    const contributors = t.contributorPay.basis === 'fixed_fee' ? 0 : t.contributorPay.bps;
    const shared = t.plannerShareBps + contributors + t.partnerHandlingBps;
    if (t.mainShare.type === 'remainder' && shared > 10_000)
      ctx.addIssue({ code: 'custom', path: ['plannerShareBps'], message: `planner, contributor and partner shares add up to ${shared} bps, more than 10000 (100%)` });
    if (t.mainShare.type === 'explicit' && shared + t.mainShare.bps !== 10_000)
      ctx.addIssue({ code: 'custom', path: ['mainShare'], message: `with an explicit main site share all shares must add up to 10000 bps (100%); they add up to ${shared + t.mainShare.bps}` });
  });
export type PlannerTerms = z.output<typeof plannerTerms>;

/** One version of a planner's contract, as stored and as exported for audit. */
export const contractVersion = z.strictObject({
  planner: partyId,
  version: z.int().min(1),
  /** The first sale time this version applies to. Never before recordedAt: no version reaches back. */
  effectiveFrom: utcTime,
  recordedAt: utcTime,
  terms: plannerTerms,
});
export type ContractVersion = z.output<typeof contractVersion>;

/**
 * The version in force at `time`: the latest effective at or before it. Later
 * versions are later in effect (the service refuses a version effective
 * before the one it follows), so this is the last one not after `time`.
 */
export function contractInForce(versions: readonly ContractVersion[], time: string): ContractVersion | undefined {
  let found: ContractVersion | undefined;
  for (const v of versions) if (v.effectiveFrom <= time && (!found || v.version > found.version)) found = v;
  return found;
}
