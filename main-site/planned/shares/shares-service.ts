import type { z } from 'zod';
import type { SiteContext } from '../../../common/site/context.js';
import { contractInForce, contractVersion, plannerTerms, type ContractVersion, type PlannerTerms } from '../../../common/planned/shares/contract.js';
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
import { holdUntil } from '../../../common/planned/shares/periods.js';
import type { PortalService } from '../../portal/index.js';
import { sharesErrors } from './errors.js';
import type { PartRow, SharesStore } from './shares-store.js';

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
/** How far ahead of the main site's clock a record's time may be (the seller's clock may run a little fast). */
const FUTURE_SKEW_MS = 5 * 60_000;

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
 * transaction; the statements add up the parts (statements.ts).
 */
export class SharesService {
  /** The service's clock; replaceable so tests can step it. */
  now: () => Date = () => new Date();

  constructor(
    readonly ctx: SiteContext,
    readonly store: SharesStore,
    private readonly portal: PortalService,
  ) {}

  get mainSite(): string {
    return this.ctx.config.siteId;
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
      // A reversal is never held: it takes back at once what the sale gave, paid out or not.
      this.store.insertParts(this.rows(sale.planner, parts, refund.time, sale.time, refund.time, 'r', refund.refundId));
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
      const entryIndex = this.append('planned_accept', `/planned/${acc.page}/contributions/${acc.contribution}`, acc.contributor, digest, null);
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

export type { PlannerTerms };
