import { formatMoney } from '../../money.js';
import { contractInForce, type ContractVersion, type StatementCycle } from './contract.js';
import { reverseParts, splitSale, type Part, type PartRole } from './allocate.js';
import { holdUntil, periodEnd, periodStart } from './periods.js';
import type { AcceptanceRecord, RefundRecord, SaleRecord } from './sale.js';

/**
 * Statements, pure: the same function makes a party's statement on the main
 * site and offline from an audit bundle (recompute.ts). An account is one
 * party's balance with one planner. Every line is one part of one sale,
 * refund or fee, with its formula and the log entry it was recorded by; a
 * statement adds a period's lines to the balance carried from the one before:
 *
 *   closing   = opening + lines
 *   held      = parts whose holding period runs past the period's end (a refund of a held sale is held with it)
 *   available = closing - held
 *   payout    = available, when it is positive and at least the payout minimum; else 0
 *   carried   = closing - payout  (the next statement's opening; negative after a refund of a paid part)
 */
export interface Account {
  planner: string;
  role: PartRole;
  party: string;
}

export interface Logged<T> {
  record: T;
  /** Its entry's index in the main site's log. */
  entryIndex: number;
}

/** Everything recorded for one planner: what its accounts' statements are made from. */
export interface PlannerRecords {
  mainSite: string;
  contracts: ContractVersion[];
  sales: Logged<SaleRecord>[];
  refunds: Logged<RefundRecord>[];
  acceptances: Logged<AcceptanceRecord>[];
}

export interface StatementLine {
  at: string;
  kind: 'sale' | 'refund' | 'cancellation' | 'fee';
  /** The sale, refund or accepted contribution. */
  ref: string;
  sale: string | null;
  page: string;
  contribution: string | null;
  amount: number;
  holdUntil: string;
  contractVersion: number;
  formula: string;
  /** The log entry the line rests on. */
  entry: number;
}

export interface CheckpointRef {
  size: number;
  root: string;
}

export interface Statement {
  account: Account;
  period: { from: string; to: string; cycle: StatementCycle };
  currency: string;
  /** The version in force at the period's end: its payout minimum applies. */
  contractVersion: number;
  opening: number;
  lines: StatementLine[];
  credits: number;
  debits: number;
  closing: number;
  held: number;
  available: number;
  payoutMinimum: number;
  payout: number;
  carried: number;
  /** The main site's log checkpoint every line's entry is within (set when the statement is closed). */
  restsOn: CheckpointRef | null;
}

/** The summary a statement closes with (what SQL totals and the pure lines must agree on). */
export type StatementTotals = Pick<Statement, 'opening' | 'credits' | 'debits' | 'closing' | 'held' | 'available' | 'payout' | 'carried' | 'payoutMinimum' | 'contractVersion'>;

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const sameAccount = (p: Part, a: Account) => p.role === a.role && p.party === a.party;

/** "1999 x 3/10 = 599.7 -> 600": the exact share and the minor units it became. */
function arithmetic(amount: number, p: Part): string {
  const g = gcd(p.num, p.den) || 1n;
  const num = p.num / g;
  const den = p.den / g;
  const exact = BigInt(amount) * num;
  const whole = exact / den;
  const frac = exact % den;
  const exactText = frac === 0n ? `${whole}` : `${whole}.${((frac * 10_000n) / den).toString().padStart(4, '0')}${(frac * 10_000n) % den ? '...' : ''}`;
  return `${amount} x ${num}/${den} = ${exactText} -> ${p.amount}${frac === 0n ? '' : ' (largest remainder)'}`;
}

/** Every line of an account, in time order (then log order). */
export function accountLines(account: Account, recs: PlannerRecords): StatementLine[] {
  const lines: StatementLine[] = [];
  const salesById = new Map<string, { sale: SaleRecord; contract: ContractVersion; refunded: number }>();
  for (const { record: sale, entryIndex } of recs.sales) {
    const contract = contractInForce(recs.contracts, sale.time);
    if (!contract) continue; // never recorded so: a sale needs a contract in force (recompute reports it)
    salesById.set(sale.saleId, { sale, contract, refunded: 0 });
    const until = holdUntil(sale.time, contract.terms.holdingDays);
    for (const p of splitSale(sale, contract.terms, recs.mainSite)) {
      if (!sameAccount(p, account) || p.amount === 0) continue;
      lines.push({
        at: sale.time,
        kind: 'sale',
        ref: sale.saleId,
        sale: sale.saleId,
        page: sale.page,
        contribution: p.contribution,
        amount: p.amount,
        holdUntil: until,
        contractVersion: contract.version,
        formula: `sale ${sale.saleId} of ${formatMoney({ amount: sale.amount, currency: sale.currency })} on ${sale.site}${p.contribution ? ` (contribution ${p.contribution})` : ''}, contract v${contract.version}: ${p.share}: ${arithmetic(sale.amount, p)}`,
        entry: entryIndex,
      });
    }
  }
  const refunds = [...recs.refunds].sort((a, b) => (a.record.time < b.record.time ? -1 : a.record.time > b.record.time ? 1 : a.entryIndex - b.entryIndex));
  for (const { record: r, entryIndex } of refunds) {
    const s = salesById.get(r.saleId);
    if (!s) continue;
    const until = holdUntil(s.sale.time, s.contract.terms.holdingDays);
    const parts = reverseParts(s.sale, s.contract.terms, recs.mainSite, s.refunded, r.amount);
    const before = s.refunded;
    s.refunded += r.amount;
    for (const p of parts) {
      if (!sameAccount(p, account) || p.amount === 0) continue;
      lines.push({
        at: r.time,
        kind: r.kind,
        ref: r.refundId,
        sale: r.saleId,
        page: s.sale.page,
        contribution: p.contribution,
        amount: p.amount,
        holdUntil: until,
        contractVersion: s.contract.version,
        formula: `${r.kind} ${r.refundId} of ${formatMoney({ amount: r.amount, currency: r.currency })} on sale ${r.saleId} (${r.reason}): this part's split of ${before + r.amount} refunded minus its split of ${before} = ${p.amount}`,
        entry: entryIndex,
      });
    }
  }
  for (const { record: a, entryIndex } of recs.acceptances) {
    const c = contractInForce(recs.contracts, a.time);
    if (!c || c.terms.contributorPay.basis !== 'fixed_fee' || c.terms.contributorPay.fee === 0) continue;
    const fee = c.terms.contributorPay.fee;
    const mine = account.role === 'contributor' && account.party === a.contributor ? fee : account.role === 'planner' && account.party === a.planner ? -fee : 0;
    if (!mine) continue;
    lines.push({
      at: a.time,
      kind: 'fee',
      ref: a.contribution,
      sale: null,
      page: a.page,
      contribution: a.contribution,
      amount: mine,
      holdUntil: a.time,
      contractVersion: c.version,
      formula: `fixed fee ${formatMoney({ amount: fee, currency: c.terms.currency })} for accepted contribution ${a.contribution}, contract v${c.version}: ${mine > 0 ? 'paid to the contributor' : "out of the planner's balance"}`,
      entry: entryIndex,
    });
  }
  return lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.entry - b.entry));
}

/** The cycle in force at a time: the version in force then, or the first version before any is. */
export function cycleAt(contracts: readonly ContractVersion[], time: string): StatementCycle {
  return (contractInForce(contracts, time) ?? contracts[0])!.terms.statementCycle;
}

/** The version whose payout minimum closes a period ending at `to`: in force at its last millisecond. */
export function contractClosing(contracts: readonly ContractVersion[], to: string): ContractVersion {
  return (contractInForce(contracts, new Date(Date.parse(to) - 1).toISOString()) ?? contracts[0])!;
}

/** Closes one period: the totals from its opening balance, its lines and what is held at its end. */
export function closeTotals(opening: number, credits: number, debits: number, held: number, contract: ContractVersion): StatementTotals {
  const closing = opening + credits + debits;
  const h = Math.max(0, held);
  const available = closing - h;
  const payout = available > 0 && available >= contract.terms.payoutMinimum ? available : 0;
  return { opening, credits, debits, closing, held: h, available, payout, carried: closing - payout, payoutMinimum: contract.terms.payoutMinimum, contractVersion: contract.version };
}

/**
 * An account's statements, one per period from its first line, for every
 * period that ended by `until`; periods with nothing in them and nothing
 * carried into them are left out (they change nothing).
 */
export function statementChain(account: Account, recs: PlannerRecords, until: string): Statement[] {
  if (!recs.contracts.length) return [];
  const all = accountLines(account, recs);
  if (!all.length) return [];
  const out: Statement[] = [];
  // Periods run from the planner's first record, as closing runs them (all of a planner's accounts close together).
  let first = all[0]!.at;
  for (const x of recs.sales) if (x.record.time < first) first = x.record.time;
  for (const x of recs.acceptances) if (x.record.time < first) first = x.record.time;
  let from = periodStart(cycleAt(recs.contracts, first), first);
  let opening = 0;
  let i = 0;
  let holding: StatementLine[] = [];
  for (;;) {
    const cycle = cycleAt(recs.contracts, from);
    const to = periodEnd(cycle, from);
    if (to > until) break;
    const lines: StatementLine[] = [];
    while (i < all.length && all[i]!.at < to) lines.push(all[i++]!);
    // Lines still held: periods only move forward, so a line released once is never held again.
    holding = holding.concat(lines).filter((l) => l.holdUntil > to);
    const held = holding.reduce((s, l) => s + l.amount, 0);
    const credits = lines.reduce((s, l) => s + (l.amount > 0 ? l.amount : 0), 0);
    const debits = lines.reduce((s, l) => s + (l.amount < 0 ? l.amount : 0), 0);
    const contract = contractClosing(recs.contracts, to);
    const t = closeTotals(opening, credits, debits, held, contract);
    if (lines.length || opening !== 0) out.push({ account, period: { from, to, cycle }, currency: contract.terms.currency, lines, restsOn: null, ...t });
    opening = t.carried;
    if (i >= all.length && opening === 0) {
      // Nothing left to carry and no line to come: later periods would be empty.
      break;
    }
    from = to;
  }
  return out;
}
