import type { PlannerTerms } from './contract.js';
import type { SaleRecord } from './sale.js';

/**
 * Splitting one amount between the parties of a sale, exactly. Each party's
 * exact share is a fraction num / den of the amount with one common
 * denominator; every party gets the floor of its share, and the minor units
 * left over go one each to the parties with the largest remainders (ties: in
 * the order main, partner, planner, contributors as the sale lists them).
 * The parts therefore always sum to the amount, and no part is more than one
 * minor unit from its exact share.
 */
export type PartRole = 'main' | 'partner' | 'planner' | 'contributor';

export interface Part {
  role: PartRole;
  /** main: the main site id; partner: the partner id; planner/contributor: the party id. */
  party: string;
  /** The contribution a contributor's part is for (one part per contribution sold). */
  contribution: string | null;
  amount: number;
  /** The exact share: amount x num / den of the sale. */
  num: bigint;
  den: bigint;
  /** The share in words, e.g. "30.00% of the sale" or "10.00% of the sale x 3/7 by use". */
  share: string;
}

const pct = (bps: number | bigint) => `${(Number(bps) / 100).toFixed(2)}%`;

/** The exact shares of a sale (as numerators over one denominator), before rounding. */
interface Share {
  role: PartRole;
  party: string;
  contribution: string | null;
  /** Share of the whole amount as w / den. */
  w: bigint;
  share: string;
}

/** The shares of a sale under a contract, as fractions of its amount over `den`. */
export function sharesOf(sale: SaleRecord, terms: PlannerTerms, mainSite: string): { shares: Share[]; den: bigint } {
  const pay = terms.contributorPay;
  const contributorBps = pay.basis === 'fixed_fee' ? 0 : pay.bps;
  const n = sale.contributions.length;
  const byUse = pay.basis === 'page_sales_by_use';
  let weights = sale.contributions.map((c) => BigInt(byUse ? c.uses : 1));
  let W = weights.reduce((s, w) => s + w, 0n);
  if (W === 0n) {
    // No contribution has a use yet: shared equally rather than lost.
    weights = weights.map(() => 1n);
    W = BigInt(n);
  }
  if (n === 0) W = 1n;
  const den = 10_000n * W;
  const onPartner = sale.site !== mainSite;
  const shares: Share[] = [];
  const main: Share = { role: 'main', party: mainSite, contribution: null, w: 0n, share: '' };
  shares.push(main);
  if (onPartner && terms.partnerHandlingBps > 0)
    shares.push({ role: 'partner', party: sale.site, contribution: null, w: BigInt(terms.partnerHandlingBps) * W, share: `${pct(terms.partnerHandlingBps)} handling share` });
  // A page sold with no contributions yet: the contributors' share is the planner's (nobody else could have it).
  const plannerBps = terms.plannerShareBps + (n === 0 ? contributorBps : 0);
  shares.push({
    role: 'planner',
    party: sale.planner,
    contribution: null,
    w: BigInt(plannerBps) * W,
    share: `${pct(plannerBps)} planner share${n === 0 && contributorBps ? " (with the contributors' share: no contributions)" : ''}`,
  });
  if (contributorBps > 0 && n > 0) {
    sale.contributions.forEach((c, i) => {
      const w = weights[i]!;
      const how = byUse ? `${w}/${W} by use` : n > 1 ? `1/${n} of ${n} contributions` : 'its contribution';
      shares.push({ role: 'contributor', party: c.contributor, contribution: c.contribution, w: BigInt(contributorBps) * w, share: `${pct(contributorBps)} contributor share x ${how}` });
    });
  }
  const others = shares.reduce((s, p) => s + p.w, 0n);
  main.w = den - others;
  main.share =
    terms.mainShare.type === 'explicit'
      ? `${pct(terms.mainShare.bps)} main site share${!onPartner && terms.partnerHandlingBps ? ` + ${pct(terms.partnerHandlingBps)} handling (sold here)` : ''}`
      : `the rest (${pct(10_000 - (onPartner ? terms.partnerHandlingBps : 0) - plannerBps - (n > 0 ? contributorBps : 0))})`;
  return { shares, den };
}

/** Splits `amount` (the sale's by default) by the contract: largest remainder, parts sum to amount. */
export function splitSale(sale: SaleRecord, terms: PlannerTerms, mainSite: string, amount: number = sale.amount): Part[] {
  const { shares, den } = sharesOf(sale, terms, mainSite);
  return allocate(amount, shares, den);
}

function allocate(amount: number, shares: Share[], den: bigint): Part[] {
  const A = BigInt(amount);
  const parts: Part[] = [];
  const rems: bigint[] = [];
  let given = 0n;
  for (const s of shares) {
    const exact = A * s.w;
    const floor = exact / den;
    given += floor;
    rems.push(exact % den);
    parts.push({ role: s.role, party: s.party, contribution: s.contribution, amount: Number(floor), num: s.w, den, share: s.share });
  }
  let left = Number(A - given);
  if (left > 0) {
    const order = rems.map((r, i) => i).sort((a, b) => (rems[b]! > rems[a]! ? 1 : rems[b]! < rems[a]! ? -1 : a - b));
    for (const i of order) {
      if (left === 0) break;
      parts[i]!.amount += 1;
      left--;
    }
  }
  return parts;
}

/** A part's key within its sale: the same party may hold several parts (one per contribution). */
export const partKey = (p: Pick<Part, 'role' | 'party' | 'contribution'>) => `${p.role}:${p.party}:${p.contribution ?? ''}`;

/**
 * What a refund takes back from each part: the split of everything refunded so
 * far minus the split of what was refunded before it. Refunds that add up to
 * the sale therefore take back every part exactly, whatever their sizes.
 */
export function reverseParts(sale: SaleRecord, terms: PlannerTerms, mainSite: string, refundedBefore: number, amount: number): Part[] {
  const { shares, den } = sharesOf(sale, terms, mainSite);
  const before = refundedBefore > 0 ? allocate(refundedBefore, shares, den) : shares.map(() => ({ amount: 0 }));
  const after = allocate(refundedBefore + amount, shares, den);
  return after.map((p, i) => ({ ...p, amount: -(p.amount - before[i]!.amount) }));
}
