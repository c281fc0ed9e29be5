import type { Db } from '../../common/store/sqlite.js';

/** One running total: a party's line for a page (planner) or a contribution (contributor) in a period. */
export interface UseTotalsRow {
  period: string;
  role: 'planner' | 'contributor';
  party: string;
  page: string;
  /** '' on a planner's page line. */
  contribution: string;
  currency: string;
  sales: number;
  refunds: number;
  amount: number;
  views: number;
  downloads: number;
}

export interface TotalsCursor {
  nextIndex: number;
  root: string;
}

/** The incremental use totals and the cursor per counted log; SQL lives only here. */
export class UseTotalsStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      cursor: db.prepare<[string], { next_index: number; root: string }>('SELECT next_index, root FROM planned_totals_cursor WHERE source = ?'),
      setCursor: db.prepare(
        'INSERT INTO planned_totals_cursor (source, next_index, root, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET next_index = excluded.next_index, root = excluded.root, updated_at = excluded.updated_at',
      ),
      add: db.prepare(
        `INSERT INTO planned_use_totals (source, period, role, party, page, contribution, currency, sales, refunds, amount, views, downloads)
         VALUES (@source, @period, @role, @party, @page, @contribution, @currency, @sales, @refunds, @amount, @views, @downloads)
         ON CONFLICT (source, period, role, party, page, contribution) DO UPDATE SET
           sales = sales + excluded.sales, refunds = refunds + excluded.refunds, amount = amount + excluded.amount,
           views = views + excluded.views, downloads = downloads + excluded.downloads`,
      ),
      period: db.prepare<[string], UseTotalsRow>(
        `SELECT period, role, party, page, contribution, MIN(currency) AS currency, SUM(sales) AS sales, SUM(refunds) AS refunds,
                SUM(amount) AS amount, SUM(views) AS views, SUM(downloads) AS downloads
         FROM planned_use_totals WHERE period = ? GROUP BY role, party, page, contribution`,
      ),
      uses: db.prepare<[string], { contribution: string; uses: number }>(
        `SELECT contribution, SUM(views + downloads) AS uses FROM planned_use_totals WHERE page = ? AND role = 'contributor' GROUP BY contribution HAVING uses > 0`,
      ),
      clearTotals: db.prepare('DELETE FROM planned_use_totals WHERE source = ?'),
      clearCursor: db.prepare('DELETE FROM planned_totals_cursor WHERE source = ?'),
    };
  }

  cursor(source: string): TotalsCursor | undefined {
    const r = this.q.cursor.get(source);
    return r ? { nextIndex: r.next_index, root: r.root } : undefined;
  }

  /** Adds one pass's counts and moves the cursor past them, in one transaction: a pass counts once or not at all. */
  apply(source: string, rows: Iterable<UseTotalsRow>, next: TotalsCursor, at: string): void {
    this.db.transaction(() => {
      for (const r of rows) this.q.add.run({ source, ...r });
      this.q.setCursor.run(source, next.nextIndex, next.root, at);
    })();
  }

  /** Forgets what was counted from a log, to count it again from its start. */
  reset(source: string): void {
    this.db.transaction(() => {
      this.q.clearTotals.run(source);
      this.q.clearCursor.run(source);
    })();
  }

  period(period: string): UseTotalsRow[] {
    return this.q.period.all(period);
  }

  /** Every use (view or download of bought content) of each contribution of a page, all periods. */
  useCounts(page: string): Map<string, number> {
    return new Map(this.q.uses.all(page).map((r) => [r.contribution, r.uses]));
  }
}
