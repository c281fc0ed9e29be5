import type { Db } from '../../../common/store/sqlite.js';
import type { PartRole } from '../../../common/planned/shares/allocate.js';

export interface StoredRecord<T> {
  record: T;
  digest: string;
  entryIndex: number;
}

export interface SaleRow {
  saleId: string;
  planner: string;
  at: string;
  amount: number;
  currency: string;
  refunded: number;
  contractVersion: number;
  record: string;
  digest: string;
  entryIndex: number;
}

export interface AccountRow {
  id: number;
  planner: string;
  role: PartRole;
  party: string;
}

export interface PartRow {
  account: number;
  at: string;
  saleAt: string;
  /** The end of the part's holding period (its sale's time plus the contract's holding days; a fee's own time). */
  holdUntil: string;
  amount: number;
  kind: 's' | 'r' | 'f';
  event: string;
}

export interface StatementRow {
  account: number;
  periodFrom: string;
  periodTo: string;
  closing: number;
  payout: number;
  statement: string;
  hash: string;
  closedAt: string;
}

/** Per account, what a window of parts adds up to (statement totals, read by SQL). */
export interface WindowTotal {
  account: number;
  credits: number;
  debits: number;
  lines: number;
  /** Parts of the window still held at its end. */
  held: number;
}

/** SQL of planned shares: the only file that reads or writes its tables. */
export class SharesStore {
  private readonly q;
  private readonly accounts = new Map<string, number>();
  private readonly accountRows = new Map<number, AccountRow>();

  constructor(private readonly db: Db) {
    this.q = {
      contracts: db.prepare('SELECT record, digest, entry_index AS entryIndex FROM planned_share_contracts WHERE planner = ? ORDER BY version'),
      insertContract: db.prepare('INSERT INTO planned_share_contracts (planner, version, effective_from, recorded_at, record, digest, entry_index) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      sale: db.prepare(
        'SELECT sale_id AS saleId, planner, at, amount, currency, refunded, contract_version AS contractVersion, record, digest, entry_index AS entryIndex FROM planned_share_sales WHERE sale_id = ?',
      ),
      salesOf: db.prepare(
        'SELECT sale_id AS saleId, planner, at, amount, currency, refunded, contract_version AS contractVersion, record, digest, entry_index AS entryIndex FROM planned_share_sales WHERE planner = ? ORDER BY at, sale_id',
      ),
      insertSale: db.prepare('INSERT INTO planned_share_sales (sale_id, planner, at, amount, currency, contract_version, record, digest, entry_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      addRefunded: db.prepare('UPDATE planned_share_sales SET refunded = refunded + ? WHERE sale_id = ?'),
      refund: db.prepare('SELECT record, digest, entry_index AS entryIndex FROM planned_share_refunds WHERE refund_id = ?'),
      refundsOfPlanner: db.prepare(
        'SELECT r.record, r.digest, r.entry_index AS entryIndex FROM planned_share_refunds r JOIN planned_share_sales s ON s.sale_id = r.sale_id WHERE s.planner = ? ORDER BY r.at, r.refund_id',
      ),
      insertRefund: db.prepare('INSERT INTO planned_share_refunds (refund_id, sale_id, at, amount, record, digest, entry_index) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      acceptance: db.prepare('SELECT record, digest, entry_index AS entryIndex FROM planned_share_acceptances WHERE contribution = ?'),
      acceptancesOf: db.prepare('SELECT record, digest, entry_index AS entryIndex FROM planned_share_acceptances WHERE planner = ? ORDER BY at, contribution'),
      insertAcceptance: db.prepare('INSERT INTO planned_share_acceptances (contribution, planner, at, fee, record, digest, entry_index) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      accountId: db.prepare('SELECT id FROM planned_share_accounts WHERE planner = ? AND role = ? AND party = ?'),
      insertAccount: db.prepare('INSERT INTO planned_share_accounts (planner, role, party) VALUES (?, ?, ?)'),
      account: db.prepare('SELECT id, planner, role, party FROM planned_share_accounts WHERE id = ?'),
      accountsOfParty: db.prepare('SELECT id, planner, role, party FROM planned_share_accounts WHERE party = ? ORDER BY planner, role'),
      accountsOfPlanner: db.prepare('SELECT id, planner, role, party FROM planned_share_accounts WHERE planner = ? ORDER BY role, party'),
      allAccounts: db.prepare('SELECT id, planner, role, party FROM planned_share_accounts'),
      planners: db.prepare('SELECT DISTINCT planner FROM planned_share_contracts ORDER BY planner'),
      insertPart: db.prepare('INSERT INTO planned_share_parts (account, at, sale_at, hold_until, amount, kind, event) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      // The planner's first record (a sale, or an accepted contribution's fee): where its first period starts.
      firstPartAt: db.prepare(
        'SELECT MIN(at) AS at FROM (SELECT MIN(at) AS at FROM planned_share_sales WHERE planner = @p UNION ALL SELECT MIN(at) AS at FROM planned_share_acceptances WHERE planner = @p)',
      ),
      // The window's parts in time order, read raw from the covering index and summed in windowTotals:
      // SQLite's GROUP BY account over a time range sorts every part in a temporary B-tree first, which
      // took twice as long as the scan itself (bench:shares: 2.5 s against 1.3 s for a year of 300,000 sales).
      windowParts: db.prepare('SELECT account, amount, hold_until FROM planned_share_parts WHERE at >= ? AND at < ?').raw(true),
      heldBefore: db.prepare('SELECT account, SUM(amount) AS held FROM planned_share_parts WHERE at >= @since AND at < @from AND hold_until > @to GROUP BY account'),
      lastStatement: db.prepare(
        'SELECT account, period_from AS periodFrom, period_to AS periodTo, closing, payout, statement, hash, closed_at AS closedAt FROM planned_share_statements WHERE account = ? ORDER BY period_from DESC LIMIT 1',
      ),
      statementsOf: db.prepare(
        'SELECT account, period_from AS periodFrom, period_to AS periodTo, closing, payout, statement, hash, closed_at AS closedAt FROM planned_share_statements WHERE account = ? ORDER BY period_from',
      ),
      insertStatement: db.prepare('INSERT INTO planned_share_statements (account, period_from, period_to, closing, payout, statement, hash, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      closedThrough: db.prepare('SELECT MAX(period_to) AS t FROM planned_share_closed WHERE planner = ?'),
      insertClosed: db.prepare('INSERT INTO planned_share_closed (planner, period_from, period_to, checkpoint_size, checkpoint_root, closed_at) VALUES (?, ?, ?, ?, ?, ?)'),
      closedOf: db.prepare(
        'SELECT period_from AS periodFrom, period_to AS periodTo, checkpoint_size AS size, checkpoint_root AS root, closed_at AS closedAt FROM planned_share_closed WHERE planner = ? ORDER BY period_from',
      ),
      statement: db.prepare(
        'SELECT account, period_from AS periodFrom, period_to AS periodTo, closing, payout, statement, hash, closed_at AS closedAt FROM planned_share_statements WHERE account = ? AND period_from = ?',
      ),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  contracts(planner: string): StoredRecord<string>[] {
    return (this.q.contracts.all(planner) as { record: string; digest: string; entryIndex: number }[]).map((r) => ({ record: r.record, digest: r.digest, entryIndex: r.entryIndex }));
  }
  insertContract(planner: string, version: number, effectiveFrom: string, recordedAt: string, record: string, digest: string, entryIndex: number): void {
    this.q.insertContract.run(planner, version, effectiveFrom, recordedAt, record, digest, entryIndex);
  }
  planners(): string[] {
    return (this.q.planners.all() as { planner: string }[]).map((r) => r.planner);
  }

  sale(saleId: string): SaleRow | undefined {
    return this.q.sale.get(saleId) as SaleRow | undefined;
  }
  salesOf(planner: string): SaleRow[] {
    return this.q.salesOf.all(planner) as SaleRow[];
  }
  insertSale(r: Omit<SaleRow, 'refunded'>): void {
    this.q.insertSale.run(r.saleId, r.planner, r.at, r.amount, r.currency, r.contractVersion, r.record, r.digest, r.entryIndex);
  }
  addRefunded(saleId: string, amount: number): void {
    this.q.addRefunded.run(amount, saleId);
  }

  refund(refundId: string): StoredRecord<string> | undefined {
    return this.q.refund.get(refundId) as StoredRecord<string> | undefined;
  }
  refundsOfPlanner(planner: string): StoredRecord<string>[] {
    return this.q.refundsOfPlanner.all(planner) as StoredRecord<string>[];
  }
  insertRefund(refundId: string, saleId: string, at: string, amount: number, record: string, digest: string, entryIndex: number): void {
    this.q.insertRefund.run(refundId, saleId, at, amount, record, digest, entryIndex);
  }

  acceptance(contribution: string): StoredRecord<string> | undefined {
    return this.q.acceptance.get(contribution) as StoredRecord<string> | undefined;
  }
  acceptancesOf(planner: string): StoredRecord<string>[] {
    return this.q.acceptancesOf.all(planner) as StoredRecord<string>[];
  }
  insertAcceptance(contribution: string, planner: string, at: string, fee: number, record: string, digest: string, entryIndex: number): void {
    this.q.insertAcceptance.run(contribution, planner, at, fee, record, digest, entryIndex);
  }

  /** The account's id, created on first use (cached: every part names one). */
  accountId(planner: string, role: PartRole, party: string): number {
    const key = `${planner} ${role} ${party}`;
    let id = this.accounts.get(key);
    if (id === undefined) {
      const row = this.q.accountId.get(planner, role, party) as { id: number } | undefined;
      id = row ? row.id : Number(this.q.insertAccount.run(planner, role, party).lastInsertRowid);
      this.accounts.set(key, id);
    }
    return id;
  }
  account(id: number): AccountRow | undefined {
    let row = this.accountRows.get(id);
    if (!row) {
      row = this.q.account.get(id) as AccountRow | undefined;
      if (row) this.accountRows.set(id, row);
    }
    return row;
  }
  accountsOfParty(party: string): AccountRow[] {
    return this.q.accountsOfParty.all(party) as AccountRow[];
  }
  accountsOfPlanner(planner: string): AccountRow[] {
    return this.q.accountsOfPlanner.all(planner) as AccountRow[];
  }
  allAccounts(): AccountRow[] {
    return this.q.allAccounts.all() as AccountRow[];
  }

  insertParts(parts: readonly PartRow[]): void {
    for (const p of parts) this.q.insertPart.run(p.account, p.at, p.saleAt, p.holdUntil, p.amount, p.kind, p.event);
  }
  firstPartAt(planner: string): string | null {
    return (this.q.firstPartAt.get({ p: planner }) as { at: string | null }).at;
  }

  /** Every account's parts in [from, to), added up in SQL, with what of them is still held at `to`. */
  /** Per account, the window's credits, debits, line count and what of it is still held at its end; ordered by account. */
  windowTotals(from: string, to: string): WindowTotal[] {
    const by = new Map<number, WindowTotal>();
    for (const [account, amount, holdUntil] of this.q.windowParts.iterate(from, to) as Iterable<[number, number, string]>) {
      let t = by.get(account);
      if (!t) {
        t = { account, credits: 0, debits: 0, lines: 0, held: 0 };
        by.set(account, t);
      }
      if (amount > 0) t.credits += amount;
      else t.debits += amount;
      t.lines++;
      if (holdUntil > to) t.held += amount;
    }
    return [...by.values()].sort((a, b) => a.account - b.account);
  }
  /** Parts from [since, from) still held at `to` (holding periods longer than the window). */
  heldBefore(since: string, from: string, to: string): { account: number; held: number }[] {
    return this.q.heldBefore.all({ since, from, to }) as { account: number; held: number }[];
  }

  lastStatement(account: number): StatementRow | undefined {
    return this.q.lastStatement.get(account) as StatementRow | undefined;
  }
  statementsOf(account: number): StatementRow[] {
    return this.q.statementsOf.all(account) as StatementRow[];
  }
  insertStatement(r: StatementRow): void {
    this.q.insertStatement.run(r.account, r.periodFrom, r.periodTo, r.closing, r.payout, r.statement, r.hash, r.closedAt);
  }
  statement(account: number, periodFrom: string): StatementRow | undefined {
    return this.q.statement.get(account, periodFrom) as StatementRow | undefined;
  }
  insertClosed(planner: string, from: string, to: string, size: number, root: string, closedAt: string): void {
    this.q.insertClosed.run(planner, from, to, size, root, closedAt);
  }
  closedOf(planner: string): { periodFrom: string; periodTo: string; size: number; root: string; closedAt: string }[] {
    return this.q.closedOf.all(planner) as { periodFrom: string; periodTo: string; size: number; root: string; closedAt: string }[];
  }
  /** The end of the planner's last closed period: sales before it can no longer be recorded. */
  closedThrough(planner: string): string | null {
    return (this.q.closedThrough.get(planner) as { t: string | null }).t;
  }
}
