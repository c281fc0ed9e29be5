import type { Db } from '../../common/store/sqlite.js';

export interface ClosedStatement {
  partner: string;
  period: string;
  json: string;
  hash: string;
  closedAt: string;
  adjustedIn: string | null;
}

/** Fee contract revisions and closed (frozen) statements. */
export class FeeStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      latestContract: db.prepare<[string], { revision: number; json: string; recorded_at: string; recorded_by: string }>(
        'SELECT * FROM fee_contracts WHERE partner = ? ORDER BY revision DESC LIMIT 1',
      ),
      contracts: db.prepare<[string], { revision: number; json: string; recorded_at: string; recorded_by: string }>('SELECT * FROM fee_contracts WHERE partner = ? ORDER BY revision'),
      addContract: db.prepare('INSERT INTO fee_contracts (partner, revision, json, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)'),
      statement: db.prepare<[string, string], { partner: string; period: string; json: string; hash: string; closed_at: string; adjusted_in: string | null }>(
        'SELECT * FROM fee_statements WHERE partner = ? AND period = ?',
      ),
      statements: db.prepare<[string], { partner: string; period: string; json: string; hash: string; closed_at: string; adjusted_in: string | null }>(
        'SELECT * FROM fee_statements WHERE partner = ? ORDER BY period',
      ),
      close: db.prepare('INSERT INTO fee_statements (partner, period, json, hash, closed_at) VALUES (?, ?, ?, ?, ?)'),
      markAdjusted: db.prepare('UPDATE fee_statements SET adjusted_in = ? WHERE partner = ? AND period = ? AND adjusted_in IS NULL'),
    };
  }

  contract(partner: string): { revision: number; json: string; recordedAt: string } | undefined {
    const r = this.q.latestContract.get(partner);
    return r ? { revision: r.revision, json: r.json, recordedAt: r.recorded_at } : undefined;
  }

  contractHistory(partner: string): { revision: number; json: string; recordedAt: string; recordedBy: string }[] {
    return this.q.contracts.all(partner).map((r) => ({ revision: r.revision, json: r.json, recordedAt: r.recorded_at, recordedBy: r.recorded_by }));
  }

  addContract(partner: string, json: string, by: string): number {
    const revision = (this.contract(partner)?.revision ?? 0) + 1;
    this.q.addContract.run(partner, revision, json, new Date().toISOString(), by);
    return revision;
  }

  closed(partner: string, period: string): ClosedStatement | undefined {
    const r = this.q.statement.get(partner, period);
    return r ? { partner: r.partner, period: r.period, json: r.json, hash: r.hash, closedAt: r.closed_at, adjustedIn: r.adjusted_in } : undefined;
  }

  closedFor(partner: string): ClosedStatement[] {
    return this.q.statements.all(partner).map((r) => ({ partner: r.partner, period: r.period, json: r.json, hash: r.hash, closedAt: r.closed_at, adjustedIn: r.adjusted_in }));
  }

  markAdjusted(partner: string, period: string, inPeriod: string): void {
    this.q.markAdjusted.run(inPeriod, partner, period);
  }

  close(partner: string, period: string, json: string, hash: string): void {
    this.q.close.run(partner, period, json, hash, new Date().toISOString());
  }
}
