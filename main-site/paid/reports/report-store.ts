import type { Db } from '../../../common/store/sqlite.js';
import type { Cycle, CycleWindow } from './cycles.js';

/** Keys issued per item, partner and part of the range: 0 the previous cycle, 1-3 the ten-day parts of the month (days 1-10, 11-20, 21-end). */
export interface KeyCell {
  item: string;
  partner: string;
  part: 0 | 1 | 2 | 3;
  keys: number;
  amount: number;
  currency: string;
}

/** Subscriptions per item and partner, as the cycle sees them (see docs/paid-content.md, "Sales reports"). */
export interface SubscriptionCell {
  item: string;
  partner: string;
  /** Registered within the cycle. */
  registered: number;
  /** Registered before the cycle and running at its start. */
  continuing: number;
  /** Running at any moment of the previous cycle. */
  previousValid: number;
  /** Registered from the 1st of the month of the cycle's last day to the cycle's end. */
  monthToDate: number;
  /** Charges of the subscriptions registered within the cycle. */
  amount: number;
  currency: string;
}

export interface CycleChoice {
  supplier: string;
  daily: boolean;
  weekly: boolean;
  monthly: boolean;
  updatedAt: string;
  updatedBy: string;
}

export interface SentReport {
  supplier: string;
  cycle: Cycle;
  period: string;
  noticeId: string;
  checkpointSize: number | null;
  checkpointTime: string | null;
  sentAt: string;
}

type Range = { from: string; to: string; previousFrom: string; monthStart: string };
const range = (w: CycleWindow): Range => ({ from: w.from.toISOString(), to: w.to.toISOString(), previousFrom: w.previousFrom.toISOString(), monthStart: w.monthStart.toISOString() });

/**
 * SQL of the sales reports: aggregations over the paid capability's own key
 * and subscription records (paid_keys, paid_subscriptions: the rows each
 * `key_issued` and `subscribed` log entry was written with), the suppliers'
 * chosen cycles, and the reports sent.
 */
export class ReportStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      // Times are ISO 8601 UTC text, so string order is time order and the day of the month is characters 9-10.
      keyCells: db.prepare<Range, KeyCell>(
        `SELECT item, partner,
                CASE WHEN issued_at < @from THEN 0 WHEN substr(issued_at, 9, 2) <= '10' THEN 1 WHEN substr(issued_at, 9, 2) <= '20' THEN 2 ELSE 3 END AS part,
                COUNT(*) AS keys, SUM(amount) AS amount, MAX(currency) AS currency
           FROM paid_keys WHERE issued_at >= @previousFrom AND issued_at < @to
          GROUP BY item, partner, part ORDER BY item, partner, part`,
      ),
      subCells: db.prepare<Range, SubscriptionCell>(
        `SELECT item, partner,
                SUM(created_at >= @from) AS registered,
                SUM(created_at < @from AND period_end > @from) AS continuing,
                SUM(created_at < @from AND period_end > @previousFrom) AS previousValid,
                SUM(created_at >= @monthStart) AS monthToDate,
                SUM(CASE WHEN created_at >= @from THEN amount ELSE 0 END) AS amount,
                MAX(currency) AS currency
           FROM paid_subscriptions WHERE created_at < @to AND (period_end > @previousFrom OR created_at >= @monthStart)
          GROUP BY item, partner`,
      ),
      choice: db.prepare<[string], { supplier: string; daily: number; weekly: number; monthly: number; updated_at: string; updated_by: string }>('SELECT * FROM paid_report_cycles WHERE supplier = ?'),
      setChoice: db.prepare(
        `INSERT INTO paid_report_cycles (supplier, daily, weekly, monthly, updated_at, updated_by) VALUES (@supplier, @daily, @weekly, @monthly, @updatedAt, @updatedBy)
         ON CONFLICT (supplier) DO UPDATE SET daily = excluded.daily, weekly = excluded.weekly, monthly = excluded.monthly, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      sent: db.prepare<[string, string, string], { notice_id: string }>('SELECT notice_id FROM paid_report_sent WHERE supplier = ? AND cycle = ? AND period = ?'),
      recordSent: db.prepare(
        `INSERT OR IGNORE INTO paid_report_sent (supplier, cycle, period, notice_id, checkpoint_size, checkpoint_time, sent_at)
         VALUES (@supplier, @cycle, @period, @noticeId, @checkpointSize, @checkpointTime, @sentAt)`,
      ),
      sentList: db.prepare<
        { supplier: string; limit: number },
        { supplier: string; cycle: Cycle; period: string; notice_id: string; checkpoint_size: number | null; checkpoint_time: string | null; sent_at: string }
      >("SELECT * FROM paid_report_sent WHERE (@supplier = '' OR supplier = @supplier) ORDER BY sent_at DESC LIMIT @limit"),
    };
  }

  keyCells(w: CycleWindow): KeyCell[] {
    return this.q.keyCells.all(range(w));
  }

  subscriptionCells(w: CycleWindow): SubscriptionCell[] {
    return this.q.subCells.all(range(w));
  }

  /** A supplier's chosen cycles, or undefined when it has not chosen (the default applies). */
  choice(supplier: string): CycleChoice | undefined {
    const r = this.q.choice.get(supplier);
    return r ? { supplier: r.supplier, daily: r.daily === 1, weekly: r.weekly === 1, monthly: r.monthly === 1, updatedAt: r.updated_at, updatedBy: r.updated_by } : undefined;
  }

  setChoice(c: CycleChoice): void {
    this.q.setChoice.run({ ...c, daily: c.daily ? 1 : 0, weekly: c.weekly ? 1 : 0, monthly: c.monthly ? 1 : 0 });
  }

  sentNotice(supplier: string, cycle: Cycle, period: string): string | undefined {
    return this.q.sent.get(supplier, cycle, period)?.notice_id;
  }

  recordSent(s: SentReport): void {
    this.q.recordSent.run(s);
  }

  sentReports(supplier = '', limit = 200): SentReport[] {
    return this.q.sentList.all({ supplier, limit }).map((r) => ({
      supplier: r.supplier,
      cycle: r.cycle,
      period: r.period,
      noticeId: r.notice_id,
      checkpointSize: r.checkpoint_size,
      checkpointTime: r.checkpoint_time,
      sentAt: r.sent_at,
    }));
  }

  /**
   * Synthetic key records, made by one INSERT ... SELECT from a recursive CTE
   * (the bench's 10 million rows, the Fig. 23 test's 176,047): `count` keys
   * cycling through `partners` x `items` ids (`<partnerPrefix><n>`,
   * `<itemPrefix><n>`, or the one id given), issued evenly over [from, to).
   * Never called by the running site.
   */
  insertSyntheticKeys(s: {
    count: number;
    partners: string | number;
    items: string | number;
    partnerPrefix?: string;
    itemPrefix?: string;
    from: Date;
    to: Date;
    amount: number;
    currency: string;
    idPrefix: string;
  }): void {
    const fromS = Math.floor(s.from.getTime() / 1000);
    const span = Math.max(1, Math.floor(s.to.getTime() / 1000) - fromS);
    // better-sqlite3 binds JS numbers as REAL: the CASTs keep the ids' arithmetic in integers.
    const nP = typeof s.partners === 'number' ? s.partners : 1;
    const nI = typeof s.items === 'number' ? s.items : 1;
    this.db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
         INSERT INTO paid_keys (id, partner, user_id, item, idempotency_key, request_hash, token, address, issued_at, expires_at, charge_type, amount, currency)
         SELECT printf('%s%010d', @idPrefix, i),
                CASE WHEN @partnerId IS NOT NULL THEN @partnerId ELSE @partnerPrefix || (i % CAST(@nP AS INTEGER)) END,
                'u' || (i % 100000),
                CASE WHEN @itemId IS NOT NULL THEN @itemId ELSE @itemPrefix || ((i / CAST(@nP AS INTEGER)) % CAST(@nI AS INTEGER)) END,
                printf('%s%010d', @idPrefix, i), '', '', NULL,
                strftime('%Y-%m-%dT%H:%M:%S.000Z', @fromS + (i * @span) / @count, 'unixepoch'),
                strftime('%Y-%m-%dT%H:%M:%S.000Z', @fromS + (i * @span) / @count + 21600, 'unixepoch'),
                'per_access', @amount, @currency
           FROM n`,
      )
      .run({
        count: s.count,
        idPrefix: s.idPrefix,
        partnerId: typeof s.partners === 'string' ? s.partners : null,
        itemId: typeof s.items === 'string' ? s.items : null,
        partnerPrefix: s.partnerPrefix ?? 'partner-',
        itemPrefix: s.itemPrefix ?? 'item-',
        nP,
        nI,
        fromS,
        span,
        amount: s.amount,
        currency: s.currency,
      });
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
