import { z } from 'zod';
import { MINOR_UNITS } from '../money.js';

/**
 * A partner's fee contract: versions with effective dates. A change applies
 * from its date; a statement always names the version it used. Every amount is
 * an integer in the contract currency's minor unit; every rate in basis points
 * (1 bps = 0.01%).
 *
 * It prices every partnership type (baseFee) but does not say which one the
 * partner has: that fact has one home, the sync terms of the partner's
 * contract (contract.sync.partnershipType), since it is also what decides what
 * is pushed. The statement takes the type from there and records it; an audit
 * bundle exported with --with-contract carries both documents.
 */
const amount = z.number().int("amounts are integers in the currency's minor unit").min(0);
const bps = z.number().int().min(0).max(10_000);

export const feeTermsSchema = z
  .object({
    /** "type": the base fee by partnership type; "size": by size class of content. */
    basis: z.enum(['type', 'size']).default('type'),
    baseFee: z.object({ link: amount, template: amount, content: amount }).strict(),
    sizeClasses: z
      .object({
        measure: z.enum(['pages', 'bytes']),
        /** Ascending; the first class whose upTo covers the partner's total content applies; the last may omit upTo. */
        classes: z
          .array(z.object({ name: z.string().min(1).max(40), upTo: z.number().int().positive().optional(), fee: amount }).strict())
          .min(1)
          .max(20),
      })
      .strict()
      .optional(),
    services: z.object({ integrityWatch: amount.optional(), centralUsers: amount.optional(), emergencyEdit: amount.optional(), userCopy: amount.optional() }).strict().default({}),
    /** Share of original-page accesses among all page accesses, in bps; the highest tier reached applies to the base fee. */
    contributionDiscount: z
      .array(z.object({ minOriginalShareBps: bps, discountBps: bps }).strict())
      .max(20)
      .default([]),
    /** Graduated: each band of accesses above a threshold earns its rate; the discount is the base fee times the access-weighted rate. */
    volumeIncentive: z
      .array(z.object({ above: z.number().int().min(0), discountBps: bps }).strict())
      .max(20)
      .default([]),
    handlingFee: z.object({ bps, fixed: amount, min: amount, max: amount }).strict().optional(),
    /**
     * Ads served on the partner's pages (seed 001, Example 1: free sites living on ads), counted from its `ad`
     * entries: a credit per thousand deliveries of the main site's advertisers' ads, a fee per thousand of its own.
     */
    ads: z.object({ mainAdCreditPerThousand: amount, ownAdFeePerThousand: amount }).strict().optional(),
    /**
     * What counts as a page access (docs/fees.md): "page-views" (default) only
     * successful views (2xx, or 304) of tie-up and original pages; "all-answers",
     * the rule before it, every answer below 400 of a page, shop pages included.
     */
    accessCounting: z.enum(['page-views', 'all-answers']).default('page-views'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.basis === 'size' && !t.sizeClasses) ctx.addIssue({ code: 'custom', message: 'basis "size" needs sizeClasses' });
    if (t.handlingFee && t.handlingFee.min > t.handlingFee.max) ctx.addIssue({ code: 'custom', message: 'handlingFee.min must not exceed handlingFee.max' });
    const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
    if (!ascending(t.contributionDiscount.map((x) => x.minOriginalShareBps))) ctx.addIssue({ code: 'custom', message: 'contributionDiscount tiers must ascend by minOriginalShareBps' });
    if (!ascending(t.volumeIncentive.map((x) => x.above))) ctx.addIssue({ code: 'custom', message: 'volumeIncentive tiers must ascend by "above"' });
    if (t.contributionDiscount.reduce((m, x) => Math.max(m, x.discountBps), 0) + t.volumeIncentive.reduce((m, x) => Math.max(m, x.discountBps), 0) > 10_000) {
      ctx.addIssue({ code: 'custom', message: 'the largest contribution and volume discounts together must not exceed 100%' });
    }
  });

export const feeContractSchema = z
  .object({
    partner: z.string().min(1),
    currency: z.string().refine((c) => MINOR_UNITS[c] !== undefined, 'currency must be an ISO 4217 code with a known minor unit'),
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'timeZone must be an IANA time zone')
      .default('UTC'),
    versions: z.array(z.object({ effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'effectiveFrom is YYYY-MM-DD'), terms: feeTermsSchema }).strict()).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const dates = c.versions.map((v) => v.effectiveFrom);
    if (dates.some((d, i) => i > 0 && d <= dates[i - 1]!)) ctx.addIssue({ code: 'custom', message: 'versions must be in strictly increasing effectiveFrom order' });
  });

export type FeeTerms = z.output<typeof feeTermsSchema>;
export type FeeContract = z.output<typeof feeContractSchema>;

export function parseFeeContract(value: unknown): FeeContract {
  const r = feeContractSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const at = i.path.join('.') || 'contract';
      if (i.code === 'unrecognized_keys' && i.keys.includes('partnershipType')) {
        return `${at}.partnershipType: the partnership type is a sync term of the partner's contract (contract.sync.partnershipType); a fee contract prices every type in baseFee`;
      }
      return `${at}: ${i.message}`;
    });
    throw new Error(`invalid fee contract: ${lines.join('; ')}`);
  }
  return r.data;
}

/** The version in force on a calendar date (YYYY-MM-DD), or undefined before the first. */
export function versionOn(c: FeeContract, date: string): FeeContract['versions'][number] | undefined {
  let found: FeeContract['versions'][number] | undefined;
  for (const v of c.versions) if (v.effectiveFrom <= date) found = v;
  return found;
}
