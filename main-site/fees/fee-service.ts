import { createHash } from 'node:crypto';
import { groundErrors } from '../../common/errors.js';
import type { PartnershipType } from '../../common/release/manifest.js';
import { readSyncTerms, syncTermsSlice } from '../../common/sync/index.js';
import { parseFeeContract, type FeeContract } from '../../common/fees/contract.js';
import { computeStatement, isPeriod, periodBounds, type AccessCounting, type Statement, type Usage } from '../../common/fees/engine.js';
import type { SiteContext } from '../../common/site/context.js';
import type { FeeStore } from './fee-store.js';
import { emptyLogUsage, type LogUsage, type Witness } from '../logs/index.js';
import type { MainSync } from '../sync/index.js';
import { feesErrors } from './errors.js';

export interface PartnerStatement extends Statement {
  status: 'draft' | 'closed';
  hash: string | null;
  closedAt: string | null;
  usage: Omit<Usage, 'period' | 'checkpoint' | 'answers'>;
}

/** Statements per partner and period, from accepted log entries and the partner's fee contract. */
export class FeeService {
  constructor(
    private readonly ctx: SiteContext,
    private readonly witness: Witness,
    private readonly store: FeeStore,
    private readonly sync: MainSync,
  ) {}

  contract(partner: string): FeeContract | undefined {
    const c = this.store.contract(partner);
    return c ? parseFeeContract(JSON.parse(c.json)) : undefined;
  }

  /** The first period (YYYY-MM) the partner's fee contract is in force, or null: its chart draws nothing before it. */
  contractSince(partner: string): string | null {
    return this.contract(partner)?.versions[0]?.effectiveFrom.slice(0, 7) ?? null;
  }

  setContract(partner: string, raw: unknown, by: string): { revision: number; contract: FeeContract } {
    if (!this.ctx.peers.get(partner)) throw feesErrors.partner_not_found(`no partner "${partner}"`);
    let c: FeeContract;
    try {
      c = parseFeeContract({ ...(raw as object), partner });
    } catch (err) {
      throw feesErrors.invalid_fee_contract((err as Error).message);
    }
    const revision = this.store.addContract(partner, JSON.stringify(c), by);
    this.ctx.logger.info({ event: 'fee_contract_recorded', partner, revision, by }, `fee contract of ${partner} recorded (revision ${revision})`);
    return { revision, contract: c };
  }

  partnersWithContracts(): string[] {
    return this.ctx.peers
      .list()
      .filter((p) => p.role === 'partner' && this.store.contract(p.id))
      .map((p) => p.id);
  }

  /**
   * The partner's partnership type, from its sync terms (the type's one home).
   * Unreadable or absent terms stop the statement: no base fee is billed on a guessed type.
   */
  private partnershipType(partner: string): PartnershipType {
    const r = readSyncTerms(this.ctx.peers.get(partner)?.contract ?? {});
    if (!r.ok) {
      this.ctx.logger.error({ event: 'statement_refused_contract_invalid', partner, problem: r.problem }, `no statement for ${partner}: its sync terms cannot be read`);
      throw groundErrors.contract_invalid(
        `the sync terms of ${partner} cannot be read (${r.problem}), so its partnership type is unknown; no statement is computed until an operator writes them again`,
      );
    }
    if (!r.terms) throw groundErrors.not_contracted(`${partner}'s contract has no sync terms (${syncTermsSlice.whenAbsent}), so there is no partnership type to bill`);
    return r.terms.partnershipType;
  }

  /**
   * The statement as the logs stand now, without adjustments for earlier
   * periods, for the given partnership type (by default the one in the sync
   * terms now; a closed period is recomputed for the type it was closed with,
   * so a later change of type never shows up as an adjustment; likewise its
   * access counting rule).
   */
  private compute(
    partner: string,
    period: string,
    contract: FeeContract,
    counted?: LogUsage,
    partnershipType: PartnershipType = this.partnershipType(partner),
    accessCounting?: AccessCounting,
  ): PartnerStatement {
    const { start, end } = periodBounds(period, contract.timeZone);
    const cp = this.witness.store.latestCheckpoint(partner);
    const u = counted ?? this.witness.store.usage(partner, start.toISOString(), end.toISOString());
    const usage: Usage = {
      period,
      pageAccesses: { tieUp: u.tieUp, original: u.original },
      uniqueUsers: u.uniqueUsers,
      content: u.content,
      answers: { pageAccesses: { tieUp: u.answers.tieUp, original: u.answers.original }, content: u.answers.content },
      otherAccesses: u.other,
      orders: u.orders,
      reversals: u.reversals,
      checkpoint: cp ? { site: partner, size: cp.size, root: cp.root.toString('hex') } : null,
      ...(contract.versions.some((v) => v.terms.ads) ? { ads: this.witness.store.adCounts(partner, start.toISOString(), end.toISOString()) } : {}),
    };
    const s = computeStatement(contract, usage, partnershipType, accessCounting ? { accessCounting } : {});
    // The usage shown is what the statement counted, by the rule it applied.
    const { period: _p, checkpoint: _c, answers, ...rest } = usage;
    const shown = s.accessCounting === 'all-answers' && answers ? { ...rest, ...answers } : rest;
    return { ...s, status: 'draft', hash: null, closedAt: null, usage: shown };
  }

  statement(partner: string, period: string, counted?: LogUsage): PartnerStatement {
    if (!isPeriod(period)) throw feesErrors.invalid_request('period must be YYYY-MM');
    const closed = this.store.closed(partner, period);
    if (closed) return { ...(JSON.parse(closed.json) as PartnerStatement), status: 'closed', hash: closed.hash, closedAt: closed.closedAt };
    const contract = this.contract(partner);
    if (!contract) throw feesErrors.no_fee_contract(`partner "${partner}" has no fee contract`);
    const s = this.compute(partner, period, contract, counted);
    // Entries that reached a closed period after it closed: the difference, as a line here.
    for (const c of this.store.closedFor(partner)) {
      if (c.period >= period || (c.adjustedIn !== null && c.adjustedIn !== period)) continue;
      const frozen = JSON.parse(c.json) as PartnerStatement;
      // Closed before the access counting rule existed: it counted every answer below 400 ("all-answers").
      const now = this.compute(partner, c.period, contract, undefined, frozen.partnershipType, frozen.accessCounting ?? 'all-answers');
      const diff = now.total - frozen.total;
      if (diff !== 0) {
        s.lines.push({
          code: 'adjustment',
          name: `Adjustment for ${c.period}`,
          formula: `entries for ${c.period} accepted after it closed: ${c.period} recomputed now (${now.total}) minus its closed total (${frozen.total})`,
          inputs: { period: c.period, closedTotal: frozen.total, recomputedTotal: now.total, closedHash: c.hash },
          amount: diff,
        });
        s.total += diff;
      }
    }
    return s;
  }

  /** Every partner's statement: one counting pass per time zone in use, not one query per partner. */
  statements(period: string): PartnerStatement[] {
    if (!isPeriod(period)) throw feesErrors.invalid_request('period must be YYYY-MM');
    const partners = this.partnersWithContracts().map((p) => ({ id: p, contract: this.contract(p)! }));
    const byZone = new Map<string, Map<string, LogUsage>>();
    for (const tz of new Set(partners.map((p) => p.contract.timeZone))) {
      const { start, end } = periodBounds(period, tz);
      byZone.set(tz, this.witness.store.usageForAll(start.toISOString(), end.toISOString()));
    }
    const none = emptyLogUsage();
    return partners.map((p) => this.statement(p.id, period, byZone.get(p.contract.timeZone)!.get(p.id) ?? none));
  }

  /** Freezes every partner's statement for the period, each with the hash of its JSON. */
  close(period: string, by: string): PartnerStatement[] {
    const out: PartnerStatement[] = [];
    for (const p of this.partnersWithContracts()) {
      if (this.store.closed(p, period)) {
        out.push(this.statement(p, period));
        continue;
      }
      const s = this.statement(p, period);
      const frozen = { ...s, status: 'closed' as const, closedAt: new Date().toISOString() };
      const json = JSON.stringify({ ...frozen, hash: null });
      const hash = createHash('sha256').update(json).digest('hex');
      this.ctx.db.transaction(() => {
        this.store.close(p, period, json, hash);
        for (const l of s.lines) if (l.code === 'adjustment') this.store.markAdjusted(p, String(l.inputs.period), period);
      })();
      this.ctx.logger.info({ event: 'statement_closed', partner: p, period, total: s.total, hash, by }, `statement of ${p} for ${period} closed`);
      out.push({ ...frozen, hash });
    }
    return out;
  }
}

/** One CSV row per line, with the statement's identity on each row. */
export function statementsCsv(statements: PartnerStatement[]): string {
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = [['partner', 'period', 'status', 'currency', 'contract_version', 'line', 'name', 'formula', 'amount_minor', 'checkpoint_size', 'checkpoint_root'].join(',')];
  for (const s of statements) {
    for (const l of [...s.lines, { code: 'total', name: 'Total', formula: 'sum of the lines', amount: s.total }]) {
      rows.push([s.partner, s.period, s.status, s.currency, s.contractVersion, l.code, l.name, l.formula, l.amount, s.checkpoint?.size, s.checkpoint?.root].map(q).join(','));
    }
  }
  return rows.join('\n') + '\n';
}
