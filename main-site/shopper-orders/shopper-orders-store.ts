import type { Db } from '../../common/store/sqlite.js';
import type { OrderState } from '../../common/shop/index.js';

/** An order on a partner as the main site last heard of it. */
export interface ReportedOrder {
  site: string;
  orderId: string;
  number: string;
  mode: 'local' | 'consult' | 'entrust';
  state: OrderState;
  userId: string;
  mainNumber: string | null;
  total: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

type Row = {
  site: string;
  order_id: string;
  number: string;
  mode: ReportedOrder['mode'];
  state: OrderState;
  user_id: string;
  main_number: string | null;
  total: number;
  currency: string;
  created_at: string;
  updated_at: string;
};

const toReported = (r: Row): ReportedOrder => ({
  site: r.site,
  orderId: r.order_id,
  number: r.number,
  mode: r.mode,
  state: r.state,
  userId: r.user_id,
  mainNumber: r.main_number,
  total: r.total,
  currency: r.currency,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The orders partners report, and which of their states were heard. */
export class ShopperOrdersStore {
  private readonly q;
  constructor(readonly db: Db) {
    this.q = {
      // A report older than the state held (reports may arrive out of order after retries) changes nothing but its own event.
      upsert: db.prepare(
        `INSERT INTO partner_orders (site, order_id, number, mode, state, user_id, main_number, total, currency, created_at, updated_at)
         VALUES (@site, @orderId, @number, @mode, @state, @userId, @mainNumber, @total, @currency, @createdAt, @updatedAt)
         ON CONFLICT (site, order_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, main_number = COALESCE(excluded.main_number, partner_orders.main_number)
         WHERE excluded.updated_at >= partner_orders.updated_at`,
      ),
      event: db.prepare('INSERT OR IGNORE INTO partner_order_events (site, order_id, state, at, received_at) VALUES (?, ?, ?, ?, ?)'),
      forUser: db.prepare<[string], Row>('SELECT * FROM partner_orders WHERE user_id = ? ORDER BY created_at DESC LIMIT 300'),
      byMainNumber: db.prepare<[string, string], Row>("SELECT * FROM partner_orders WHERE site = ? AND main_number = ? AND mode = 'entrust'"),
      byNumber: db.prepare<[string, string], Row>('SELECT * FROM partner_orders WHERE site = ? AND number = ?'),
    };
  }

  /** Records a reported state; true when this state of this order is heard for the first time. */
  record(o: ReportedOrder, at: string): boolean {
    this.q.upsert.run(o);
    return this.q.event.run(o.site, o.orderId, o.state, at, new Date().toISOString()).changes === 1;
  }

  forUser(userId: string): ReportedOrder[] {
    return this.q.forUser.all(userId).map(toReported);
  }

  /** The partner's record of an order it entrusted to us, by our number (only that partner's word counts for its orders). */
  byMainNumber(site: string, mainNumber: string): ReportedOrder | undefined {
    const r = this.q.byMainNumber.get(site, mainNumber);
    return r ? toReported(r) : undefined;
  }

  byNumber(site: string, number: string): ReportedOrder | undefined {
    const r = this.q.byNumber.get(site, number);
    return r ? toReported(r) : undefined;
  }
}
