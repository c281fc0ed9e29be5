import type { z } from 'zod';
import type { SiteContext } from '../../../common/site/context.js';
import { contractInForce, contractVersion, plannerTerms, type ContractVersion } from '../../../common/planned/shares/contract.js';
import { reverseParts, splitSale, type Part } from '../../../common/planned/shares/allocate.js';
import {
  acceptanceRecord,
  canonicalJson,
  recordDigest,
  refundRecord,
  saleRecord,
  type AcceptanceRecord,
  type RefundInput,
  type RefundRecord,
  type SaleInput,
  type SaleRecord,
} from '../../../common/planned/shares/sale.js';
import { holdUntil, periodEnd, periodStart } from '../../../common/planned/shares/periods.js';
import { cycleAt, statementChain, type Account, type PlannerRecords, type Statement } from '../../../common/planned/shares/statement.js';
import { formatMoney } from '../../../common/money.js';
import type { NoticeService } from '../../notices/index.js';
import type { PortalService } from '../../portal/index.js';
import { computeDue, type DueStatement } from './closing.js';
import type { SharesEvidence } from '../../../common/planned/shares/recompute.js';
import { sharesErrors } from './errors.js';
import type { AccountRow, PartRow, SharesStore } from './shares-store.js';

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
/** How far ahead of the main site's clock a record's time may be (the seller's clock may run a little fast). */
const FUTURE_SKEW_MS = 5 * 60_000;
/** A period closes this long after it ends, so a sale made at its last moment is recorded first. */
const CLOSE_GRACE_MS = 5 * 60_000;

export interface Recorded<T> {
  record: T;
  /** The index of its entry in the main site's log. */
  entryIndex: number;
  /** True when this id was recorded before (the earlier record is returned, nothing is written). */
  duplicate: boolean;
}

/**
 * Planned shares on the main site: planner contracts (versioned, never
 * edited), the sales and refunds of planned pages, and every party's part of
 * each. A record is appended to the main site's signed log (its digest in the
 * entry, see common/planned/shares/sale.ts) and stored with its parts in one
 * transaction. Statements: closing adds up the parts in SQL (closing.ts);
 * the lines come from the records through the pure statementChain
 * (common/planned/shares/statement.ts), the function the offline recompute runs.
 */
export class SharesService {
  /** The service's clock; replaceable so tests can step it. */
  now: () => Date = () => new Date();

  constructor(
    readonly ctx: SiteContext,
    readonly store: SharesStore,
    private readonly portal: PortalService,
    private readonly notices: NoticeService,
  ) {}

  get mainSite(): string {
    return this.ctx.config.siteId;
  }

  /** Who an account's party is, as people read it: a planner's or contributor's display name; a site id (main, a partner) as it is. */
  partyName(party: string): string {
    return this.portal.get(party)?.displayName ?? party;
  }

  // ---- contracts --------------------------------------------------------

  /**
   * Records a new version of a planner's contract, in force from
   * `effectiveFrom` (default: now). A version never reaches back: it is
   * refused when effective before now or before the version it follows.
   */
  setContract(planner: string, terms: unknown, opts: { effectiveFrom?: string } = {}): ContractVersion {
    const party = this.portal.get(planner);
    if (!party || party.kind !== 'planner') throw sharesErrors.not_a_planner(`no planner "${planner}"`);
    const parsed = plannerTerms.safeParse(terms);
    if (!parsed.success) throw sharesErrors.invalid_terms(issues(parsed.error));
    const now = this.now().toISOString();
    const effectiveFrom = opts.effectiveFrom ?? now;
    return this.store.transaction(() => {
      const versions = this.contracts(planner);
      const last = versions[versions.length - 1];
      const v = contractVersion.safeParse({ planner, version: (last?.version ?? 0) + 1, effectiveFrom, recordedAt: now, terms: parsed.data });
      if (!v.success) throw sharesErrors.invalid_terms(issues(v.error));
      if (effectiveFrom < now) throw sharesErrors.contract_backdated(`a contract version takes effect from now on (${now}) or later, never before: ${effectiveFrom}`);
      if (last && effectiveFrom < last.effectiveFrom)
        throw sharesErrors.contract_backdated(`version ${last.version} takes effect at ${last.effectiveFrom}; a later version cannot take effect before it`);
      if (last && last.terms.currency !== parsed.data.currency) throw sharesErrors.currency_change(`the planner's contract is in ${last.terms.currency}; a new version cannot change the currency`);
      const record = canonicalJson(v.data);
      const digest = recordDigest(v.data);
      const entryIndex = this.append('planned_contract', `/planned/contracts/${v.data.version}`, planner, digest, null);
      this.store.insertContract(planner, v.data.version, effectiveFrom, now, record, digest, entryIndex);
      return v.data;
    });
  }

  /** Every version of a planner's contract, oldest first. */
  contracts(planner: string): ContractVersion[] {
    return this.store.contracts(planner).map((r) => JSON.parse(r.record) as ContractVersion);
  }

  /** The version in force at `time` (UTC ISO), or undefined. */
  contractAt(planner: string, time: string): ContractVersion | undefined {
    return contractInForce(this.contracts(planner), time);
  }

  planners(): string[] {
    return this.store.planners();
  }

  // ---- sales, refunds, acceptances ---------------------------------------

  /** Records a sale (idempotent on its sale id) and every party's part of it. */
  recordSale(input: SaleInput): Recorded<SaleRecord> & { parts: Part[]; contract: ContractVersion } {
    const parsed = saleRecord.safeParse(input);
    if (!parsed.success) throw sharesErrors.invalid_sale(issues(parsed.error));
    const sale = parsed.data;
    const digest = recordDigest(sale);
    return this.store.transaction(() => {
      const earlier = this.store.sale(sale.saleId);
      if (earlier) {
        if (earlier.digest !== digest) throw sharesErrors.sale_conflict(`sale ${sale.saleId} was recorded with other details`);
        const record = JSON.parse(earlier.record) as SaleRecord;
        const contract = this.contracts(record.planner).find((c) => c.version === earlier.contractVersion)!;
        return { record, entryIndex: earlier.entryIndex, duplicate: true, parts: splitSale(record, contract.terms, this.mainSite), contract };
      }
      if (sale.site !== this.mainSite && this.ctx.peers.get(sale.site)?.role !== 'partner') throw sharesErrors.unknown_site(`"${sale.site}" is neither this site nor one of its partners`);
      this.checkTime(sale.planner, sale.time, 'sale');
      const contract = this.contractAt(sale.planner, sale.time);
      if (!contract) throw sharesErrors.no_contract(`planner ${sale.planner} has no contract in force at ${sale.time}`);
      if (contract.terms.currency !== sale.currency) throw sharesErrors.currency_mismatch(`the planner's contract is in ${contract.terms.currency}, the sale in ${sale.currency}`);
      const parts = splitSale(sale, contract.terms, this.mainSite);
      const entryIndex = this.append('planned_sale', `/planned/${sale.page}/sales/${sale.saleId}`, sale.planner, digest, { id: sale.saleId, amount: sale.amount, currency: sale.currency });
      this.store.insertSale({
        saleId: sale.saleId,
        planner: sale.planner,
        at: sale.time,
        amount: sale.amount,
        currency: sale.currency,
        contractVersion: contract.version,
        record: canonicalJson(sale),
        digest,
        entryIndex,
      });
      const until = holdUntil(sale.time, contract.terms.holdingDays);
      this.store.insertParts(this.rows(sale.planner, parts, sale.time, sale.time, until, 's', sale.saleId));
      return { record: sale, entryIndex, duplicate: false, parts, contract };
    });
  }

  /**
   * Records a refund or cancellation (idempotent on its refund id): every
   * party's part is reversed in proportion, in the period of the refund,
   * whether or not the sale's period was already paid out.
   */
  recordRefund(input: RefundInput): Recorded<RefundRecord> & { parts: Part[] } {
    const parsed = refundRecord.safeParse(input);
    if (!parsed.success) throw sharesErrors.invalid_refund(issues(parsed.error));
    const refund = parsed.data;
    const digest = recordDigest(refund);
    return this.store.transaction(() => {
      const earlier = this.store.refund(refund.refundId);
      if (earlier) {
        if (earlier.digest !== digest) throw sharesErrors.refund_conflict(`refund ${refund.refundId} was recorded with other details`);
        return { record: JSON.parse(earlier.record) as RefundRecord, entryIndex: earlier.entryIndex, duplicate: true, parts: [] };
      }
      const row = this.store.sale(refund.saleId);
      if (!row) throw sharesErrors.sale_not_found(`no sale ${refund.saleId}`);
      const sale = JSON.parse(row.record) as SaleRecord;
      if (refund.currency !== sale.currency) throw sharesErrors.currency_mismatch(`the sale is in ${sale.currency}, the refund in ${refund.currency}`);
      if (refund.time < sale.time) throw sharesErrors.invalid_time(`the refund (${refund.time}) cannot be before the sale (${sale.time})`);
      if (row.refunded + refund.amount > sale.amount)
        throw sharesErrors.refund_exceeds_sale(`sale ${sale.saleId} was ${sale.amount}, ${row.refunded} of it refunded already; ${refund.amount} more is too much`);
      this.checkTime(sale.planner, refund.time, 'refund');
      const contract = this.contracts(sale.planner).find((c) => c.version === row.contractVersion)!;
      const parts = reverseParts(sale, contract.terms, this.mainSite, row.refunded, refund.amount);
      const entryIndex = this.append('planned_refund', `/planned/${sale.page}/refunds/${refund.refundId}`, sale.planner, digest, {
        id: refund.refundId,
        amount: refund.amount,
        currency: refund.currency,
      });
      this.store.insertRefund(refund.refundId, refund.saleId, refund.time, refund.amount, canonicalJson(refund), digest, entryIndex);
      this.store.addRefunded(refund.saleId, refund.amount);
      // A reversal is held with its sale: while the sale's part is held it cancels it there; once paid out it comes off the balance.
      this.store.insertParts(this.rows(sale.planner, parts, refund.time, sale.time, holdUntil(sale.time, contract.terms.holdingDays), 'r', refund.refundId));
      return { record: refund, entryIndex, duplicate: false, parts };
    });
  }

  /**
   * Records a contribution the planner accepted. Under a fixed_fee contract
   * the fee moves from the planner's balance to the contributor's; under the
   * other bases nothing is owed for acceptance and nothing is recorded (null).
   */
  recordAcceptance(input: unknown): (Recorded<AcceptanceRecord> & { fee: number }) | null {
    const parsed = acceptanceRecord.safeParse(input);
    if (!parsed.success) throw sharesErrors.invalid_acceptance(issues(parsed.error));
    const acc = parsed.data;
    const digest = recordDigest(acc);
    return this.store.transaction(() => {
      const earlier = this.store.acceptance(acc.contribution);
      if (earlier) {
        const record = JSON.parse(earlier.record) as AcceptanceRecord;
        return { record, entryIndex: earlier.entryIndex, duplicate: true, fee: this.contractAt(record.planner, record.time)?.terms.contributorPay.basis === 'fixed_fee' ? this.feeOf(record) : 0 };
      }
      const contract = this.contractAt(acc.planner, acc.time);
      if (!contract) throw sharesErrors.no_contract(`planner ${acc.planner} has no contract in force at ${acc.time}`);
      if (contract.terms.contributorPay.basis !== 'fixed_fee') return null;
      this.checkTime(acc.planner, acc.time, 'acceptance');
      const fee = contract.terms.contributorPay.fee;
      const entryIndex = this.append('planned_accept', `/planned/${acc.page}/contributions/${acc.contribution}`, acc.planner, digest, null);
      this.store.insertAcceptance(acc.contribution, acc.planner, acc.time, fee, canonicalJson(acc), digest, entryIndex);
      if (fee > 0) {
        const fees: Part[] = [
          { role: 'contributor', party: acc.contributor, contribution: acc.contribution, amount: fee, num: 1n, den: 1n, share: 'fixed fee' },
          { role: 'planner', party: acc.planner, contribution: acc.contribution, amount: -fee, num: 1n, den: 1n, share: 'fixed fee' },
        ];
        this.store.insertParts(this.rows(acc.planner, fees, acc.time, acc.time, acc.time, 'f', acc.contribution));
      }
      return { record: acc, entryIndex, duplicate: false, fee };
    });
  }

  private feeOf(acc: AcceptanceRecord): number {
    const pay = this.contractAt(acc.planner, acc.time)?.terms.contributorPay;
    return pay?.basis === 'fixed_fee' ? pay.fee : 0;
  }

  // ---- statements --------------------------------------------------------

  /** Everything recorded for a planner, as statements and the evidence file read it. */
  recordsOf(planner: string): PlannerRecords {
    const parse = <T>(rows: { record: string; entryIndex: number }[]) => rows.map((r) => ({ record: JSON.parse(r.record) as T, entryIndex: r.entryIndex }));
    return {
      mainSite: this.mainSite,
      contracts: this.contracts(planner),
      sales: parse<SaleRecord>(this.store.salesOf(planner)),
      refunds: parse<RefundRecord>(this.store.refundsOfPlanner(planner)),
      acceptances: parse<AcceptanceRecord>(this.store.acceptancesOf(planner)),
    };
  }

  /** What an auditor needs beside the main site's log bundle to recompute the planner's statements (recompute.ts). */
  evidence(planner: string): SharesEvidence {
    const withIndex = <T>(rows: { record: string; entryIndex: number }[]) => rows.map((r) => ({ record: JSON.parse(r.record) as T, entryIndex: r.entryIndex }));
    return {
      evidence: 'tieup-planned-shares',
      version: 1,
      mainSite: this.mainSite,
      planner,
      exportedAt: new Date().toISOString(),
      contracts: withIndex<ContractVersion>(this.store.contracts(planner)),
      sales: withIndex<SaleRecord>(this.store.salesOf(planner)),
      refunds: withIndex<RefundRecord>(this.store.refundsOfPlanner(planner)),
      acceptances: withIndex<AcceptanceRecord>(this.store.acceptancesOf(planner)),
      closed: this.store.closedOf(planner).map((c) => ({ from: c.periodFrom, to: c.periodTo, size: c.size, root: c.root })),
    };
  }

  /** A party's accounts (one per planner it has a part with, and its role there). */
  accountsOf(party: string): AccountRow[] {
    return this.store.accountsOfParty(party);
  }

  accountsOfPlanner(planner: string): AccountRow[] {
    return this.store.accountsOfPlanner(planner);
  }

  account(id: number): AccountRow | undefined {
    return this.store.account(id);
  }

  /**
   * An account's statements with every line: the closed ones (with the
   * checkpoint they rest on) and, with `open`, the period running now as a
   * preview. Made from the records by the pure statementChain, the function
   * `tieup shares recompute` runs offline.
   */
  statements(accountId: number, opts: { open?: boolean } = {}): Statement[] {
    const a = this.store.account(accountId);
    if (!a) return [];
    const account: Account = { planner: a.planner, role: a.role, party: a.party };
    const closed = this.store.closedOf(a.planner);
    const through = closed.length ? closed[closed.length - 1]!.periodTo : '';
    const until = opts.open ? '9999-12-31T00:00:00.000Z' : through;
    if (!until) return [];
    const recs = this.recordsOf(a.planner);
    const chain = statementChain(account, recs, opts.open ? this.openUntil(recs) : until);
    for (const st of chain) {
      const c = closed.find((x) => x.periodFrom === st.period.from);
      st.restsOn = c ? { size: c.size, root: c.root } : null;
    }
    return chain;
  }

  /** The end of the period running now (so a preview shows it), for the planner's cycle. */
  private openUntil(recs: PlannerRecords): string {
    const now = this.now().toISOString();
    const cycle = cycleAt(recs.contracts, now);
    return periodEnd(cycle, periodStart(cycle, now));
  }

  /** What closing now would state, per account, from SQL totals (the bench and the close job). */
  dueStatements(now: string = this.now().toISOString()): DueStatement[] {
    return computeDue(this.store, (p) => this.contracts(p), now).statements;
  }

  /**
   * Closes every period that ended: each account's statement is stored with
   * the log checkpoint it rests on, a payout entry is logged for what is
   * paid, and each planner and contributor gets the statement as a notice.
   */
  closeCycles(now: string = new Date(this.now().getTime() - CLOSE_GRACE_MS).toISOString()): { windows: number; statements: number; payouts: number; notices: number } {
    this.ctx.log.flush();
    const cp = this.ctx.log.checkpoint();
    const checkpoint = { size: cp?.size ?? 0, root: cp ? cp.root.toString('hex') : '' };
    const { windows, statements } = computeDue(this.store, (p) => this.contracts(p), now);
    if (!windows.length) return { windows: 0, statements: 0, payouts: 0, notices: 0 };
    const closedAt = this.now().toISOString();
    let payouts = 0;
    const toNotify: { s: DueStatement; hash: string }[] = [];
    this.store.transaction(() => {
      for (const w of windows) this.store.insertClosed(w.planner, w.from, w.to, checkpoint.size, checkpoint.root, closedAt);
      for (const s of statements) {
        const body = {
          account: { planner: s.account.planner, role: s.account.role, party: s.account.party },
          period: s.period,
          currency: s.currency,
          lineCount: s.lineCount,
          ...s.totals,
          restsOn: checkpoint,
        };
        const hash = recordDigest(body);
        this.store.insertStatement({
          account: s.account.id,
          periodFrom: s.period.from,
          periodTo: s.period.to,
          closing: s.totals.closing,
          payout: s.totals.payout,
          statement: canonicalJson(body),
          hash,
          closedAt,
        });
        if (s.account.role === 'planner' || s.account.role === 'contributor') {
          if (s.totals.payout > 0) {
            payouts++;
            this.append('planned_payout', `/planned/payouts/${s.account.planner}/${s.period.from.slice(0, 10)}`, s.account.party, hash, {
              id: `${s.account.planner}:${s.account.party}:${s.period.from.slice(0, 10)}`,
              amount: s.totals.payout,
              currency: s.currency,
            });
          }
          toNotify.push({ s, hash });
        }
      }
    });
    let sent = 0;
    for (const { s, hash } of toNotify) {
      if (!this.portal.get(s.account.party)) continue;
      try {
        this.notify(s, hash);
        sent++;
      } catch (err) {
        this.ctx.logger.error({ event: 'planned_statement_notice_failed', err, account: s.account.id }, 'a statement notice could not be queued');
      }
    }
    return { windows: windows.length, statements: statements.length, payouts, notices: sent };
  }

  private notify(s: DueStatement, hash: string): void {
    const m = (a: number) => formatMoney({ amount: a, currency: s.currency });
    const t = s.totals;
    const period = `${s.period.from.slice(0, 10)} to ${s.period.to.slice(0, 10)}`;
    const role = s.account.role === 'planner' ? 'planner' : 'contributor';
    this.notices.send({
      recipient: { party: s.account.party },
      kind: 'planned_statement',
      subject: `Your ${role} statement for ${period}`,
      text: [
        `Your ${role} statement (planner ${s.account.planner}) for ${period} (${s.period.cycle}):`,
        `  opening balance   ${m(t.opening)}`,
        `  ${String(s.lineCount).padStart(5)} line(s)    ${m(t.credits + t.debits)}`,
        `  closing balance   ${m(t.closing)}`,
        `  held              ${m(t.held)}`,
        `  paid out          ${m(t.payout)}${t.payout === 0 && t.available > 0 ? ` (below the payout minimum of ${m(t.payoutMinimum)})` : ''}`,
        `  carried forward   ${m(t.carried)}`,
        '',
        `Every line with its formula: ${this.ctx.config.publicUrl ?? ''}/portal/shares/`,
        `Statement hash ${hash}`,
      ].join('\n'),
      data: { planner: s.account.planner, role, period: s.period, totals: t, hash },
      dedupeKey: `planned-statement:${s.account.id}:${s.period.from}`,
    });
  }

  // ---- helpers -----------------------------------------------------------

  private rows(planner: string, parts: readonly Part[], at: string, saleAt: string, until: string, kind: PartRow['kind'], event: string): PartRow[] {
    const out: PartRow[] = [];
    for (const p of parts) if (p.amount !== 0) out.push({ account: this.store.accountId(planner, p.role, p.party), at, saleAt, holdUntil: until, amount: p.amount, kind, event });
    return out;
  }

  /** A record may not be in the future, nor in a period whose statements are closed. */
  private checkTime(planner: string, time: string, what: string): void {
    const now = this.now().getTime();
    if (Date.parse(time) > now + FUTURE_SKEW_MS) throw sharesErrors.invalid_time(`the ${what}'s time ${time} is in the future`);
    const closed = this.store.closedThrough(planner);
    if (closed && time < closed) throw sharesErrors.period_closed(`the planner's statements are closed up to ${closed}; a ${what} at ${time} would change a closed statement`);
  }

  private append(type: string, path: string, user: string, digest: string, order: { id: string; amount: number; currency: string } | null): number {
    return this.ctx.log.append({
      time: this.now().toISOString(),
      site: this.mainSite,
      type,
      path,
      kind: 'none',
      release: null,
      status: 201,
      bytes: 0,
      user,
      session: digest,
      client: null,
      ua: 'other',
      order,
    });
  }
}
