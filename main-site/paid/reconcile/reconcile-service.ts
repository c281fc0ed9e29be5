import type { z } from 'zod';
import type { SiteContext } from '../../../common/site/context.js';
import type { paidReconciliationAnswer, paidStatementSubmit } from '../../../common/protocol/index.js';
import {
  classify,
  computeSupplierStatement,
  monthBounds,
  supplierContract,
  DIFFERENCE_KINDS,
  DIFFERENCE_LABELS,
  PERIOD_RE,
  type CheckpointRef,
  type PartnerPeriod,
} from '../../../common/paid/index.js';
import type { NoticeService } from '../../notices/index.js';
import { reconcileErrors } from './errors.js';
import type { ReconcileStore, StoredContract, StoredStatement, StoredSupplierStatement } from './reconcile-store.js';

type SubmitBody = z.output<typeof paidStatementSubmit>;
export type ReconciliationView = z.input<typeof paidReconciliationAnswer>;

/** Why a partner's lines are held out of a supplier statement, or null when they count. */
function heldReason(partner: string, period: string, s: StoredStatement | undefined): string | null {
  if (!s) return `no statement from ${partner} for ${period}`;
  if (s.status === 'reconciled' || s.status === 'accepted') return null;
  const kinds = DIFFERENCE_KINDS.filter((k) => s.result.differences[k] > 0).map((k) => `${s.result.differences[k]} ${DIFFERENCE_LABELS[k]}`);
  return `${partner}'s statement for ${period} (version ${s.version}) is held: ${kinds.join(', ')}`;
}

/**
 * Reconciliation of partners' sales statements with the main site's own keys
 * and subscriptions, and supplier payment statements from the reconciled ones.
 */
export class ReconcileService {
  constructor(
    private readonly ctx: SiteContext,
    readonly store: ReconcileStore,
    private readonly notices: NoticeService | undefined,
    private readonly supplierOf: (item: string) => string | undefined,
  ) {}

  /** Everything appended so far, committed and signed: the checkpoint a reconciliation rests on. */
  private mainCheckpoint(): CheckpointRef {
    this.ctx.log.flush();
    const size = this.ctx.log.size;
    if (size > 0) this.ctx.log.checkpoint(size);
    return { size, root: size ? this.ctx.log.root(size).toString('hex') : '' };
  }

  /** A partner's statement for a month: compared line by line, stored as a new version (earlier ones superseded), held when anything differs. */
  submit(partner: string, body: SubmitBody): ReconciliationView {
    if (!PERIOD_RE.test(body.period)) throw reconcileErrors.invalid_statement('the period is YYYY-MM');
    const { from, to } = monthBounds(body.period);
    return this.store.transaction(() => {
      const mainCheckpoint = this.mainCheckpoint();
      const main = this.store.mainCharges(partner, from, to);
      const result = classify(body.period, body.lines, main);
      const version = (this.store.latest(partner, body.period)?.version ?? 0) + 1;
      const submittedAt = new Date().toISOString();
      this.store.insert({
        partner,
        period: body.period,
        version,
        source: body.source,
        currency: body.currency,
        lines: body.lines,
        partnerCheckpoint: body.checkpoint,
        mainCheckpoint,
        result,
        status: result.outcome,
        submittedAt,
      });
      this.ctx.logger.info({ event: 'paid_statement', partner, period: body.period, version, outcome: result.outcome, differences: result.differences }, 'sales statement reconciled');
      return this.view(partner, body.period)!;
    });
  }

  /** The reconciliation page's data: the latest version (or the one asked for), with every version's status. */
  view(partner: string, period: string, version?: number): ReconciliationView | undefined {
    const s = version ? this.store.version(partner, period, version) : this.store.latest(partner, period);
    if (!s) return undefined;
    return {
      partner: s.partner,
      period: s.period,
      version: s.version,
      status: s.status,
      submittedAt: s.submittedAt,
      source: s.source,
      currency: s.currency,
      partnerCheckpoint: s.partnerCheckpoint,
      mainCheckpoint: s.mainCheckpoint,
      differences: s.result.differences,
      items: s.result.items,
      lines: s.result.lines,
      accepted: s.accepted,
      versions: this.store.versions(partner, period),
    };
  }

  list(period?: string): StoredStatement[] {
    return this.store.list(period ?? '');
  }

  /** The operator accepts a held statement as it is, with a reason (kept with it). */
  accept(partner: string, period: string, version: number | undefined, reason: string, by: string): ReconciliationView {
    const s = version ? this.store.version(partner, period, version) : this.store.latest(partner, period);
    if (!s) throw reconcileErrors.statement_not_found();
    if (!reason.trim()) throw reconcileErrors.reason_required();
    if (!this.store.accept(partner, period, s.version, by.slice(0, 100), reason.trim().slice(0, 1000), new Date().toISOString())) throw reconcileErrors.statement_not_held();
    this.ctx.logger.info({ event: 'paid_statement_accepted', partner, period, version: s.version, by, reason }, 'held sales statement accepted');
    return this.view(partner, period, s.version)!;
  }

  /** Stores a new version of a supplier's contract (validated strictly). */
  setContract(raw: unknown, by: string): StoredContract {
    const r = supplierContract.safeParse(raw);
    if (!r.success) throw reconcileErrors.invalid_supplier_contract(r.error.issues.map((i) => `${i.path.join('.') || 'contract'}: ${i.message}`).join('; '));
    return this.store.transaction(() => {
      const c: StoredContract = {
        supplier: r.data.supplier,
        version: (this.store.latestContract(r.data.supplier)?.version ?? 0) + 1,
        effectiveFrom: r.data.effectiveFrom,
        contract: r.data,
        createdBy: by.slice(0, 100),
        createdAt: new Date().toISOString(),
      };
      this.store.insertContract(c);
      return c;
    });
  }

  /** The inputs of a supplier statement: per partner with charges (or a statement) in the period, its charges for the contract's items and whether they count. */
  partnerPeriods(items: ReadonlySet<string>, period: string): PartnerPeriod[] {
    const { from, to } = monthBounds(period);
    const partners = new Set([...this.store.partnersWithCharges(from, to), ...this.store.latestOfPeriod(period).map((s) => s.partner)]);
    return [...partners].sort().map((partner) => {
      const reason = heldReason(partner, period, this.store.latest(partner, period));
      return { partner, included: reason === null, reason, charges: this.store.mainCharges(partner, from, to).filter((c) => items.has(c.item)) };
    });
  }

  /**
   * Computes and issues a supplier's statement for a month by the contract
   * version in force, from reconciled (or accepted) partner statements only,
   * and sends the supplier a notice. Issuing again makes a new revision.
   */
  issueSupplierStatement(supplier: string, period: string, by: string): StoredSupplierStatement {
    if (!PERIOD_RE.test(period)) throw reconcileErrors.invalid_statement('the period is YYYY-MM');
    const c = this.store.contractFor(supplier, period);
    if (!c) throw reconcileErrors.supplier_contract_not_found(`there is no contract for ${supplier} in force in ${period}`);
    const items = new Set(c.contract.items.map((i) => i.item).filter((i) => (this.supplierOf(i) ?? supplier) === supplier));
    const stored = this.store.transaction(() => {
      const mainCheckpoint = this.mainCheckpoint();
      const statement = computeSupplierStatement(c.contract, c.version, period, this.partnerPeriods(items, period));
      const s: StoredSupplierStatement = {
        supplier,
        period,
        revision: (this.store.latestSupplierStatement(supplier, period)?.revision ?? 0) + 1,
        party: c.contract.party,
        statement,
        mainCheckpoint,
        issuedBy: by.slice(0, 100),
        issuedAt: new Date().toISOString(),
      };
      this.store.insertSupplierStatement(s);
      return s;
    });
    try {
      const st = stored.statement;
      this.notices?.send({
        recipient: { party: stored.party },
        kind: 'supplier_statement',
        subject: `Payment statement ${period}${stored.revision > 1 ? ` (revision ${stored.revision})` : ''}`,
        text:
          `Your payment statement for ${period}: ${st.total} (${st.currency}, minor units) from ${st.lines.length} line(s)` +
          (st.held ? `; ${st.held} line(s) held until the partners' statements reconcile.` : '.') +
          ` It is in the portal under Payment statements.`,
        data: { supplier, period, revision: stored.revision, total: st.total, currency: st.currency, held: st.held },
        dedupeKey: `paid:supplier-statement:${supplier}:${period}:${stored.revision}`,
      });
    } catch (err) {
      this.ctx.logger.warn({ event: 'paid_supplier_notice_failed', supplier, period, err }, 'the supplier statement was issued but its notice could not be stored');
    }
    return stored;
  }
}
