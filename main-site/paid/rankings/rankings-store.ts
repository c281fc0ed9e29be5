import type { Db } from '../../../common/store/sqlite.js';

/** Sales of one item to one partner's members in one weekday and time slot (UTC). */
export interface SlotSales {
  partner: string;
  item: string;
  weekday: number;
  /** Minutes after midnight at which the slot starts. */
  start: number;
  sales: number;
  amount: number;
}

/**
 * The reads rankings and banners make of the paid records. An access is an
 * issued key (one reading of an item, whatever its number of pages; period
 * items' keys count too, seed 【0120】: recorded for analysis). A sale is a
 * per-access key or a subscription period. SQL lives only here.
 */
export class RankingsStore {
  private readonly q;
  constructor(db: Db) {
    this.q = {
      accesses: db.prepare<[string, string], { item: string; accesses: number }>('SELECT item, COUNT(*) AS accesses FROM paid_keys WHERE issued_at >= ? AND issued_at < ? GROUP BY item'),
      // Times are stored as ISO strings in UTC; strftime reads them as such. A JS number binds as REAL: cast, so the division is whole.
      slotSales: db.prepare<{ from: string; to: string; slot: number }, SlotSales>(
        `SELECT partner, item, CAST(strftime('%w', at) AS INTEGER) AS weekday,
                ((CAST(strftime('%H', at) AS INTEGER) * 60 + CAST(strftime('%M', at) AS INTEGER)) / CAST(@slot AS INTEGER)) * CAST(@slot AS INTEGER) AS start,
                COUNT(*) AS sales, SUM(amount) AS amount
         FROM (SELECT partner, item, issued_at AS at, amount FROM paid_keys WHERE charge_type = 'per_access' AND issued_at >= @from AND issued_at < @to
               UNION ALL
               SELECT partner, item, created_at AS at, amount FROM paid_subscriptions WHERE created_at >= @from AND created_at < @to)
         GROUP BY partner, item, weekday, start`,
      ),
    };
  }

  /** Issued keys per item in [from, to). */
  accesses(from: string, to: string): Map<string, number> {
    return new Map(this.q.accesses.all(from, to).map((r) => [r.item, r.accesses]));
  }

  /** Sales per partner, item, weekday and slot in [from, to). */
  slotSales(from: string, to: string, slotMinutes: number): SlotSales[] {
    return this.q.slotSales.all({ from, to, slot: slotMinutes });
  }
}
