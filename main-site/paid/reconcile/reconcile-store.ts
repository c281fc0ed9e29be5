import type { Db } from '../../../common/store/sqlite.js';
import type { CheckpointRef, Classification, MainCharge, StatementLine, SupplierContract, SupplierStatement } from '../../../common/paid/index.js';

export type StatementStatus = 'reconciled' | 'held' | 'accepted' | 'superseded';

export interface StoredStatement {
  partner: string;
  period: string;
  version: number;
  source: 'records' | 'csv';
  currency: string;
  lines: StatementLine[];
  partnerCheckpoint: CheckpointRef | null;
  mainCheckpoint: CheckpointRef;
  result: Classification;
  status: StatementStatus;
  submittedAt: string;
  accepted: { by: string; reason: string; at: string } | null;
}

export interface StoredContract {
  supplier: string;
  version: number;
  effectiveFrom: string;
  contract: SupplierContract;
  createdBy: string;
  createdAt: string;
}

export interface StoredSupplierStatement {
  supplier: string;
  period: string;
  revision: number;
  party: string;
  statement: SupplierStatement;
  mainCheckpoint: CheckpointRef;
  issuedBy: string;
  issuedAt: string;
}

type StatementRow = {
  partner: string;
  period: string;
  version: number;
  source: 'records' | 'csv';
  currency: string;
  lines_json: string;
  partner_checkpoint: string | null;
  main_checkpoint: string;
  result_json: string;
  status: StatementStatus;
  submitted_at: string;
  accepted_by: string | null;
  accepted_reason: string | null;
  accepted_at: string | null;
};
const toStatement = (r: StatementRow): StoredStatement => ({
  partner: r.partner,
  period: r.period,
  version: r.version,
  source: r.source,
  currency: r.currency,
  lines: JSON.parse(r.lines_json) as StatementLine[],
  partnerCheckpoint: r.partner_checkpoint ? (JSON.parse(r.partner_checkpoint) as CheckpointRef) : null,
  mainCheckpoint: JSON.parse(r.main_checkpoint) as CheckpointRef,
  result: JSON.parse(r.result_json) as Classification,
  status: r.status,
  submittedAt: r.submitted_at,
  accepted: r.accepted_by ? { by: r.accepted_by, reason: r.accepted_reason ?? '', at: r.accepted_at ?? '' } : null,
});
type ContractRow = { supplier: string; version: number; effective_from: string; contract_json: string; created_by: string; created_at: string };
const toContract = (r: ContractRow): StoredContract => ({
  supplier: r.supplier,
  version: r.version,
  effectiveFrom: r.effective_from,
  contract: JSON.parse(r.contract_json) as SupplierContract,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
type SupplierRow = { supplier: string; period: string; revision: number; party: string; statement_json: string; main_checkpoint: string; issued_by: string; issued_at: string };
const toSupplier = (r: SupplierRow): StoredSupplierStatement => ({
  supplier: r.supplier,
  period: r.period,
  revision: r.revision,
  party: r.party,
  statement: JSON.parse(r.statement_json) as SupplierStatement,
  mainCheckpoint: JSON.parse(r.main_checkpoint) as CheckpointRef,
  issuedBy: r.issued_by,
  issuedAt: r.issued_at,
});

/** Sales statements and their reconciliations, supplier contracts and payment statements. SQL lives only here. */
export class ReconcileStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      charges: db.prepare<{ partner: string; from: string; to: string }, { id: string; kind: 'access' | 'period'; item: string; user: string; at: string; amount: number }>(
        `SELECT id, 'access' AS kind, item, user_id AS user, issued_at AS at, amount FROM paid_keys
           WHERE partner = @partner AND charge_type = 'per_access' AND amount > 0 AND issued_at >= @from AND issued_at < @to
         UNION ALL
         SELECT id, 'period' AS kind, item, user_id AS user, created_at AS at, amount FROM paid_subscriptions
           WHERE partner = @partner AND amount > 0 AND created_at >= @from AND created_at < @to`,
      ),
      partnersWithCharges: db.prepare<{ from: string; to: string }, { partner: string }>(
        `SELECT partner FROM paid_keys WHERE charge_type = 'per_access' AND amount > 0 AND issued_at >= @from AND issued_at < @to
         UNION SELECT partner FROM paid_subscriptions WHERE amount > 0 AND created_at >= @from AND created_at < @to`,
      ),
      latest: db.prepare<[string, string], StatementRow>('SELECT * FROM paid_statements WHERE partner = ? AND period = ? ORDER BY version DESC LIMIT 1'),
      version: db.prepare<[string, string, number], StatementRow>('SELECT * FROM paid_statements WHERE partner = ? AND period = ? AND version = ?'),
      versions: db.prepare<[string, string], { version: number; status: string; submitted_at: string; source: string }>(
        'SELECT version, status, submitted_at, source FROM paid_statements WHERE partner = ? AND period = ? ORDER BY version',
      ),
      list: db.prepare<{ period: string }, StatementRow>(
        "SELECT s.* FROM paid_statements s WHERE (@period = '' OR s.period = @period) AND s.version = (SELECT MAX(version) FROM paid_statements t WHERE t.partner = s.partner AND t.period = s.period) ORDER BY s.period DESC, s.partner",
      ),
      latestOfPeriod: db.prepare<[string], StatementRow>(
        'SELECT s.* FROM paid_statements s WHERE s.period = ? AND s.version = (SELECT MAX(version) FROM paid_statements t WHERE t.partner = s.partner AND t.period = s.period)',
      ),
      supersede: db.prepare("UPDATE paid_statements SET status = 'superseded' WHERE partner = ? AND period = ? AND status != 'superseded'"),
      insert: db.prepare(
        `INSERT INTO paid_statements (partner, period, version, source, currency, lines_json, partner_checkpoint, main_checkpoint, result_json, status, submitted_at)
         VALUES (@partner, @period, @version, @source, @currency, @lines, @partnerCheckpoint, @mainCheckpoint, @result, @status, @submittedAt)`,
      ),
      accept: db.prepare("UPDATE paid_statements SET status = 'accepted', accepted_by = ?, accepted_reason = ?, accepted_at = ? WHERE partner = ? AND period = ? AND version = ? AND status = 'held'"),
      contractLatest: db.prepare<[string], ContractRow>('SELECT * FROM paid_supplier_contracts WHERE supplier = ? ORDER BY version DESC LIMIT 1'),
      contractFor: db.prepare<[string, string], ContractRow>('SELECT * FROM paid_supplier_contracts WHERE supplier = ? AND effective_from <= ? ORDER BY version DESC LIMIT 1'),
      contracts: db.prepare<[string, string], ContractRow>("SELECT * FROM paid_supplier_contracts WHERE (? = '' OR supplier = ?) ORDER BY supplier, version"),
      insertContract: db.prepare(
        'INSERT INTO paid_supplier_contracts (supplier, version, effective_from, contract_json, created_by, created_at) VALUES (@supplier, @version, @effectiveFrom, @contract, @createdBy, @createdAt)',
      ),
      supplierLatest: db.prepare<[string, string], SupplierRow>('SELECT * FROM paid_supplier_statements WHERE supplier = ? AND period = ? ORDER BY revision DESC LIMIT 1'),
      supplierList: db.prepare<{ party: string; supplier: string; period: string }, SupplierRow>(
        `SELECT s.* FROM paid_supplier_statements s WHERE (@party = '' OR s.party = @party) AND (@supplier = '' OR s.supplier = @supplier) AND (@period = '' OR s.period = @period)
           AND s.revision = (SELECT MAX(revision) FROM paid_supplier_statements t WHERE t.supplier = s.supplier AND t.period = s.period) ORDER BY s.period DESC, s.supplier`,
      ),
      insertSupplier: db.prepare(
        `INSERT INTO paid_supplier_statements (supplier, period, revision, party, statement_json, main_checkpoint, issued_by, issued_at)
         VALUES (@supplier, @period, @revision, @party, @statement, @mainCheckpoint, @issuedBy, @issuedAt)`,
      ),
    };
  }

  /** The main site's charges for a partner in [from, to): per-access keys and subscription periods, never amounts of 0. */
  mainCharges(partner: string, from: string, to: string): MainCharge[] {
    return this.q.charges.all({ partner, from, to });
  }

  partnersWithCharges(from: string, to: string): string[] {
    return this.q.partnersWithCharges.all({ from, to }).map((r) => r.partner);
  }

  latest(partner: string, period: string): StoredStatement | undefined {
    const r = this.q.latest.get(partner, period);
    return r ? toStatement(r) : undefined;
  }

  version(partner: string, period: string, version: number): StoredStatement | undefined {
    const r = this.q.version.get(partner, period, version);
    return r ? toStatement(r) : undefined;
  }

  versions(partner: string, period: string) {
    return this.q.versions.all(partner, period).map((v) => ({ version: v.version, status: v.status, submittedAt: v.submitted_at, source: v.source }));
  }

  list(period = ''): StoredStatement[] {
    return this.q.list.all({ period }).map(toStatement);
  }

  latestOfPeriod(period: string): StoredStatement[] {
    return this.q.latestOfPeriod.all(period).map(toStatement);
  }

  /** Stores a new version; the earlier ones become superseded. Run inside `transaction`. */
  insert(s: Omit<StoredStatement, 'accepted'>): void {
    this.q.supersede.run(s.partner, s.period);
    this.q.insert.run({
      partner: s.partner,
      period: s.period,
      version: s.version,
      source: s.source,
      currency: s.currency,
      lines: JSON.stringify(s.lines),
      partnerCheckpoint: s.partnerCheckpoint ? JSON.stringify(s.partnerCheckpoint) : null,
      mainCheckpoint: JSON.stringify(s.mainCheckpoint),
      result: JSON.stringify(s.result),
      status: s.status,
      submittedAt: s.submittedAt,
    });
  }

  /** Accepts a held version; false when it is not (or no longer) held. */
  accept(partner: string, period: string, version: number, by: string, reason: string, at: string): boolean {
    return this.q.accept.run(by, reason, at, partner, period, version).changes === 1;
  }

  latestContract(supplier: string): StoredContract | undefined {
    const r = this.q.contractLatest.get(supplier);
    return r ? toContract(r) : undefined;
  }

  /** The latest version in force for the period (effective from it or earlier). */
  contractFor(supplier: string, period: string): StoredContract | undefined {
    const r = this.q.contractFor.get(supplier, period);
    return r ? toContract(r) : undefined;
  }

  contracts(supplier = ''): StoredContract[] {
    return this.q.contracts.all(supplier, supplier).map(toContract);
  }

  insertContract(c: StoredContract): void {
    this.q.insertContract.run({ ...c, contract: JSON.stringify(c.contract) });
  }

  latestSupplierStatement(supplier: string, period: string): StoredSupplierStatement | undefined {
    const r = this.q.supplierLatest.get(supplier, period);
    return r ? toSupplier(r) : undefined;
  }

  supplierStatements(f: { party?: string; supplier?: string; period?: string } = {}): StoredSupplierStatement[] {
    return this.q.supplierList.all({ party: f.party ?? '', supplier: f.supplier ?? '', period: f.period ?? '' }).map(toSupplier);
  }

  insertSupplierStatement(s: StoredSupplierStatement): void {
    this.q.insertSupplier.run({ ...s, statement: JSON.stringify(s.statement), mainCheckpoint: JSON.stringify(s.mainCheckpoint) });
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
