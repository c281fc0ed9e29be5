import type { Db } from '../../common/store/sqlite.js';
import { StockTable } from '../../common/shop/stock-table.js';
import type { DeliveryAddress, NewOrderFields, OrderLine, OrderState, OrderView, Settlement } from '../../common/shop/order-states.js';

type OrderRow = {
  id: string;
  number: string;
  mode: 'local' | 'entrust' | 'consult';
  state: OrderState;
  user_id: string;
  user_email: string;
  lines_json: string;
  handling_fee: number;
  total: number;
  currency: string;
  settlement: Settlement;
  address_json: string | null;
  warehouse: string | null;
  main_id: string | null;
  main_number: string | null;
  idem_key: string;
  cancel_logged: number;
  created_at: string;
  updated_at: string;
};

export interface PartnerOrder extends OrderView {
  mode: 'local' | 'entrust' | 'consult';
  mainId: string | null;
  idempotencyKey: string;
  cancelLogged: boolean;
}

export interface NewPartnerOrder extends NewOrderFields {
  mode: 'local' | 'entrust' | 'consult';
  state: OrderState;
  handlingFee: number;
  warehouse: string | null;
  mainId: string | null;
  mainNumber: string | null;
  idempotencyKey: string;
  /** Local stock to take, all or nothing. */
  take: { productId: string; qty: number }[];
}

export class PartnerShopStore {
  private readonly q;
  /** The partner's own stock: original goods and tie-up goods it sells locally. */
  readonly stock: StockTable;
  constructor(
    private readonly db: Db,
    private readonly site: string,
  ) {
    this.stock = new StockTable(db, 'local_stock');
    this.q = {
      nextSeq: db.prepare<[], { n: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM orders'),
      insert: db.prepare(
        `INSERT INTO orders (seq, id, number, mode, state, user_id, user_email, lines_json, handling_fee, total, currency, settlement, address_json, warehouse, main_id, main_number, idem_key, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      event: db.prepare('INSERT INTO order_events (order_id, at, state, actor) VALUES (?, ?, ?, ?)'),
      byId: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?'),
      byNumber: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE number = ?'),
      byKey: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE idem_key = ?'),
      list: db.prepare<[number], OrderRow>('SELECT * FROM orders ORDER BY seq DESC LIMIT ?'),
      forUser: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE user_id = ? ORDER BY seq DESC LIMIT 100'),
      setState: db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?'),
      setMainState: db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ?'),
      cancelLogged: db.prepare('UPDATE orders SET cancel_logged = 1 WHERE id = ? AND cancel_logged = 0'),
      copy: db.prepare(
        `INSERT INTO user_copies (id, email, name, password_hash, refreshed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, password_hash = excluded.password_hash, refreshed_at = excluded.refreshed_at`,
      ),
      copyByEmail: db.prepare<[string], { id: string; email: string; name: string; password_hash: string }>('SELECT * FROM user_copies WHERE email = ?'),
      dropCopies: db.prepare('DELETE FROM user_copies'),
      countCopies: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM user_copies'),
    };
  }

  /** Takes the local stock and writes the order in one transaction; throws OutOfStock changing nothing. */
  insert(o: NewPartnerOrder): PartnerOrder {
    return this.db
      .transaction(() => {
        const now = new Date().toISOString();
        this.stock.takeAll(o.take, now);
        const seq = this.q.nextSeq.get()!.n;
        const number = `${this.site.toUpperCase()}-${String(seq).padStart(6, '0')}`;
        this.q.insert.run(
          seq,
          o.id,
          number,
          o.mode,
          o.state,
          o.userId,
          o.userEmail,
          JSON.stringify(o.lines),
          o.handlingFee,
          o.total,
          o.currency,
          o.settlement,
          o.address ? JSON.stringify(o.address) : null,
          o.warehouse,
          o.mainId,
          o.mainNumber,
          o.idempotencyKey,
          now,
          now,
        );
        this.q.event.run(o.id, now, o.state, 'shopper');
        return this.toOrder(this.q.byId.get(o.id)!);
      })
      .immediate();
  }

  byKey(key: string): PartnerOrder | undefined {
    const r = this.q.byKey.get(key);
    return r ? this.toOrder(r) : undefined;
  }
  byNumber(number: string): PartnerOrder | undefined {
    const r = this.q.byNumber.get(number);
    return r ? this.toOrder(r) : undefined;
  }
  list(limit = 200): PartnerOrder[] {
    return this.q.list.all(limit).map((r) => this.toOrder(r));
  }
  forUser(userId: string): PartnerOrder[] {
    return this.q.forUser.all(userId).map((r) => this.toOrder(r));
  }

  /** Moves a locally processed order; cancelling returns the local stock it took. */
  move(o: PartnerOrder, to: OrderState, actor: string, returned: { productId: string; qty: number }[]): boolean {
    return this.db
      .transaction(() => {
        const now = new Date().toISOString();
        if (this.q.setState.run(to, now, o.id, o.state).changes !== 1) return false;
        this.stock.giveBack(returned, now);
        this.q.event.run(o.id, now, to, actor);
        return true;
      })
      .immediate();
  }

  /** The main site's state of an entrusted order, as last heard. */
  setMainState(id: string, state: OrderState): void {
    this.q.setMainState.run(state, new Date().toISOString(), id);
  }
  /** true the first time: the cancellation is then written to the access log once. */
  markCancelLogged(id: string): boolean {
    return this.q.cancelLogged.run(id).changes === 1;
  }

  saveUserCopy(u: { id: string; email: string; name: string; passwordHash: string }): void {
    this.q.copy.run(u.id, u.email, u.name, u.passwordHash, new Date().toISOString());
  }
  userCopy(email: string): { id: string; email: string; name: string; passwordHash: string } | undefined {
    const r = this.q.copyByEmail.get(email);
    return r ? { id: r.id, email: r.email, name: r.name, passwordHash: r.password_hash } : undefined;
  }
  /** When the contract no longer grants a user copy, the copy goes. */
  dropUserCopies(): number {
    return this.q.dropCopies.run().changes;
  }
  userCopies(): number {
    return this.q.countCopies.get()!.n;
  }

  private toOrder(r: OrderRow): PartnerOrder {
    return {
      id: r.id,
      number: r.number,
      site: this.site,
      mode: r.mode,
      state: r.state,
      lines: JSON.parse(r.lines_json) as OrderLine[],
      handlingFee: r.handling_fee,
      total: r.total,
      currency: r.currency,
      settlement: r.settlement,
      address: r.address_json ? (JSON.parse(r.address_json) as DeliveryAddress) : null,
      warehouse: r.warehouse,
      userId: r.user_id,
      userEmail: r.user_email,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      mainId: r.main_id,
      mainNumber: r.main_number,
      idempotencyKey: r.idem_key,
      cancelLogged: r.cancel_logged === 1,
    };
  }
}
