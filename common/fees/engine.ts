import { PERIOD_RE } from '../protocol/primitives.js';
import { versionOn, type FeeContract } from './contract.js';
import type { PartnershipType } from '../release/manifest.js';
import { applyBps, assertCurrency, formatMoney, roundDiv } from '../money.js';

/** What counts as a page access: see the fee terms' accessCounting and docs/fees.md. */
export type AccessCounting = 'page-views' | 'all-answers';

export type ContentUsage = { tieUpPages: number; originalPages: number; tieUpBytes: number; originalBytes: number };

/** What a period's statement counts, all from verified log entries. */
export interface Usage {
  /** Calendar month "YYYY-MM" in the contract's time zone. */
  period: string;
  /** Successful page views (2xx or 304) of tie-up and original pages; never shop pages, assets, redirects or errors. */
  pageAccesses: { tieUp: number; original: number };
  uniqueUsers: number;
  /** Distinct tie-up and original pages served (200) and their sizes; shop pages are not content. */
  content: ContentUsage;
  /** The same inputs as the rule "all-answers" counts them (every page answer below 400, shop pages as original). Absent: equal to the above. */
  answers?: { pageAccesses: { tieUp: number; original: number }; content: ContentUsage };
  /** Answers that are not page accesses, each under its own kind: shown, never counted as accesses under "page-views". */
  otherAccesses?: { shopActions: number; errors: number; assets: number; other: number };
  /** Orders on tie-up goods placed in the period (amount in minor units). */
  orders: { id: string; amount: number; currency: string }[];
  /** Cancellations and refunds recorded in the period, of orders from this or an earlier period. */
  reversals: { orderId: string; orderAmount: number; currency: string; kind: 'cancel' | 'refund' }[];
  /** The log checkpoint the counts rest on. */
  checkpoint: { site: string; size: number; root: string } | null;
  /** Ad deliveries on the partner's pages in the period (its `ad` entries): the main site's advertisers' and its own. Absent: none counted. */
  ads?: { mainAds: number; ownAds: number };
}

export interface StatementLine {
  code: string;
  name: string;
  /** How the amount was computed, in words. */
  formula: string;
  inputs: Record<string, string | number | null>;
  amount: number;
}

export interface Statement {
  partner: string;
  period: string;
  currency: string;
  timeZone: string;
  contractVersion: string;
  /** The partnership type the statement was computed for (from the partner's sync terms). */
  partnershipType: PartnershipType;
  /** What was counted as a page access. Absent on statements computed before the rule existed: those counted "all-answers". */
  accessCounting?: AccessCounting;
  rounding: string;
  lines: StatementLine[];
  total: number;
  checkpoint: Usage['checkpoint'];
}

export const ROUNDING_RULE = 'each line is computed exactly and rounded once to the nearest minor unit, halves away from zero';

const SERVICE_NAMES: Record<string, string> = {
  integrityWatch: 'Integrity watch (drift detection)',
  centralUsers: 'Central user management and marketing',
  emergencyEdit: 'Emergency edit right',
  userCopy: 'User copy at the partner',
};

export class FeeError extends Error {}

/** A statement period: a calendar month, "YYYY-MM". */
export const isPeriod = (v: unknown): v is string => typeof v === 'string' && PERIOD_RE.test(v);

/**
 * The fee engine: contract version + partnership type + usage -> statement.
 * Pure: the same inputs always give the same statement, which is what lets an
 * auditor recompute it from an exported log bundle. The partnership type comes
 * from the partner's sync terms (its one home), not from the fee contract.
 */
export function computeStatement(contract: FeeContract, measured: Usage, partnershipType: PartnershipType, opts: { accessCounting?: AccessCounting } = {}): Statement {
  if (!isPeriod(measured.period)) throw new FeeError(`period must be YYYY-MM, got "${measured.period}"`);
  const version = versionOn(contract, `${measured.period}-01`);
  if (!version) throw new FeeError(`no contract version of ${contract.partner} is in force on ${measured.period}-01`);
  const t = version.terms;
  // A closed statement is recomputed by the rule it was computed with (opts), like its partnership type.
  const accessCounting: AccessCounting = opts.accessCounting ?? t.accessCounting ?? 'page-views';
  const usage: Usage = accessCounting === 'all-answers' && measured.answers ? { ...measured, ...measured.answers } : measured;
  const cur = contract.currency;
  assertCurrency(cur);
  const money = (a: number) => formatMoney({ amount: a, currency: cur });
  const lines: StatementLine[] = [];

  // 1. Base fee: by partnership type, or by size class.
  let base: number;
  if (t.basis === 'size' && t.sizeClasses) {
    const size = t.sizeClasses.measure === 'pages' ? usage.content.tieUpPages + usage.content.originalPages : usage.content.tieUpBytes + usage.content.originalBytes;
    const cls = t.sizeClasses.classes.find((c) => c.upTo === undefined || size <= c.upTo) ?? t.sizeClasses.classes[t.sizeClasses.classes.length - 1]!;
    base = cls.fee;
    lines.push({
      code: 'base',
      name: `Base fee, size class ${cls.name}`,
      formula: `tie-up plus original content is ${size} ${t.sizeClasses.measure}, ${cls.upTo === undefined ? 'the largest class' : `at most ${cls.upTo}`}: class ${cls.name} = ${money(cls.fee)}`,
      inputs: { measure: t.sizeClasses.measure, size, class: cls.name },
      amount: base,
    });
  } else {
    base = t.baseFee[partnershipType];
    lines.push({ code: 'base', name: `Base fee, ${partnershipType} partnership`, formula: `fixed fee per period for a ${partnershipType} partnership`, inputs: { partnershipType }, amount: base });
  }

  // 2. Optional services, each a surcharge.
  for (const [key, fee] of Object.entries(t.services) as [string, number | undefined][]) {
    if (fee === undefined) continue;
    lines.push({ code: `service.${key}`, name: SERVICE_NAMES[key] ?? key, formula: 'fixed surcharge per period for this optional service', inputs: {}, amount: fee });
  }

  // 2b. Ads on the partner's pages: a credit for the main site's advertisers' ads, a fee for its own.
  if (t.ads) {
    const a = usage.ads ?? { mainAds: 0, ownAds: 0 };
    const perThousand = (n: number, rate: number) => roundDiv(BigInt(n) * BigInt(rate), 1000n);
    lines.push({
      code: 'ads.main',
      name: "Ads of the main site's advertisers served on the partner's pages",
      formula: `${a.mainAds} deliveries x ${money(t.ads.mainAdCreditPerThousand)} per thousand, credited`,
      inputs: { mainAds: a.mainAds, creditPerThousand: t.ads.mainAdCreditPerThousand },
      amount: -perThousand(a.mainAds, t.ads.mainAdCreditPerThousand),
    });
    lines.push({
      code: 'ads.own',
      name: "The partner's own ads served on its pages",
      formula: `${a.ownAds} deliveries x ${money(t.ads.ownAdFeePerThousand)} per thousand`,
      inputs: { ownAds: a.ownAds, feePerThousand: t.ads.ownAdFeePerThousand },
      amount: perThousand(a.ownAds, t.ads.ownAdFeePerThousand),
    });
  }

  // 3. Contribution discount: the partner's original pages drew visitors.
  const { tieUp, original } = usage.pageAccesses;
  // Shown beside the counts so a reader sees what was left out and why (no amount depends on them).
  const o = measured.otherAccesses;
  const notCounted: Record<string, number> =
    o && accessCounting === 'page-views' ? { shopActionsNotCounted: o.shopActions, errorsNotCounted: o.errors, assetsNotCounted: o.assets, otherNotCounted: o.other } : {};
  const accesses = tieUp + original;
  let discounted = 0;
  if (t.contributionDiscount.length) {
    const shareBps = accesses === 0 ? 0 : Math.floor((original * 10_000) / accesses);
    const tier = [...t.contributionDiscount].reverse().find((x) => shareBps >= x.minOriginalShareBps);
    const d = tier ? Math.min(applyBps(base, tier.discountBps), base) : 0;
    discounted += d;
    lines.push({
      code: 'discount.contribution',
      name: 'Contribution discount (original pages)',
      formula: tier
        ? `original pages drew ${original} of ${accesses} page accesses (${(shareBps / 100).toFixed(2)}%, rounded down), at least ${(tier.minOriginalShareBps / 100).toFixed(2)}%: ${(tier.discountBps / 100).toFixed(2)}% of the base fee ${money(base)}`
        : `original pages drew ${original} of ${accesses} page accesses (${(shareBps / 100).toFixed(2)}%), below the first tier: no discount`,
      inputs: {
        originalAccesses: original,
        tieUpAccesses: tieUp,
        originalShareBps: shareBps,
        tierMinShareBps: tier?.minOriginalShareBps ?? null,
        discountBps: tier?.discountBps ?? 0,
        accessCounting,
        ...notCounted,
      },
      amount: 0 - d,
    });
  }

  // 4. Volume incentive, graduated: each band of accesses earns its own rate.
  if (t.volumeIncentive.length) {
    let weighted = 0n;
    const bands: string[] = [];
    t.volumeIncentive.forEach((tier, i) => {
      const top = t.volumeIncentive[i + 1]?.above ?? Infinity;
      const inBand = Math.max(0, Math.min(accesses, top) - tier.above);
      if (inBand > 0) {
        weighted += BigInt(inBand) * BigInt(tier.discountBps);
        bands.push(`${inBand} accesses above ${tier.above} at ${(tier.discountBps / 100).toFixed(2)}%`);
      }
    });
    const raw = accesses === 0 ? 0 : roundDiv(BigInt(base) * weighted, BigInt(accesses) * 10_000n);
    const d = Math.min(raw, base - discounted);
    discounted += d;
    lines.push({
      code: 'discount.volume',
      name: 'Volume incentive',
      formula: bands.length
        ? `base fee ${money(base)} times the access-weighted rate of ${bands.join(', ')}, over ${accesses} accesses${d < raw ? ' (capped so discounts never exceed the base fee)' : ''}`
        : `${accesses} accesses, below the first threshold: no incentive`,
      inputs: { accesses, weightedBps: accesses === 0 ? 0 : Number(weighted) / accesses, accessCounting },
      amount: 0 - d,
    });
  }

  // 5. Handling fee per order on tie-up goods, and 6. its reversal on cancellation or refund.
  const hf = t.handlingFee;
  const feeOn = (orderAmount: number) => (hf ? Math.min(hf.max, Math.max(hf.min, applyBps(orderAmount, hf.bps) + hf.fixed)) : 0);
  const hfWords = hf ? `${(hf.bps / 100).toFixed(2)}% of the order plus ${money(hf.fixed)}, at least ${money(hf.min)}, at most ${money(hf.max)}` : '';
  if (hf) {
    for (const o of usage.orders) {
      if (o.currency !== cur) throw new FeeError(`order ${o.id} is in ${o.currency}, the contract in ${cur}`);
      lines.push({ code: 'handling', name: `Handling fee, order ${o.id}`, formula: `${hfWords}; order ${money(o.amount)}`, inputs: { orderId: o.id, orderAmount: o.amount }, amount: feeOn(o.amount) });
    }
    for (const r of usage.reversals) {
      if (r.currency !== cur) throw new FeeError(`reversal of ${r.orderId} is in ${r.currency}, the contract in ${cur}`);
      lines.push({
        code: 'handling.reversal',
        name: `Reversal of the handling fee, order ${r.orderId} (${r.kind})`,
        formula: `the handling fee of the ${money(r.orderAmount)} order, reversed in the period of the ${r.kind}`,
        inputs: { orderId: r.orderId, orderAmount: r.orderAmount, kind: r.kind },
        amount: -feeOn(r.orderAmount),
      });
    }
  }

  return {
    partner: contract.partner,
    period: measured.period,
    currency: cur,
    timeZone: contract.timeZone,
    contractVersion: version.effectiveFrom,
    partnershipType,
    accessCounting,
    rounding: ROUNDING_RULE,
    lines,
    total: lines.reduce((s, l) => s + l.amount, 0),
    checkpoint: measured.checkpoint,
  };
}

/** [start, end) of a calendar month in a time zone, as UTC instants. */
export function periodBounds(period: string, timeZone: string): { start: Date; end: Date } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { start: zonedMidnight(y, m, timeZone), end: zonedMidnight(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, timeZone) };
}

function zonedMidnight(y: number, m: number, timeZone: string): Date {
  // Start from UTC midnight and correct by the zone's offset at that instant (twice, for DST edges).
  let t = Date.UTC(y, m - 1, 1);
  for (let i = 0; i < 2; i++) t = Date.UTC(y, m - 1, 1) - offsetMs(new Date(t), timeZone);
  return new Date(t);
}

function offsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}
