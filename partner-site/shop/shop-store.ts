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
  /** Entrusted orders: false until the main site acknowledges that this partner recorded it. */
  mainConfirmed?: boolean;
}

/** An entrusted order as sent, before the main site's answer is known (see migrations/002). */
export interface OrderAttempt {
  idempotencyKey: string;
  /** Opaque, for the shopper's "we are confirming your order" page. */
  ref: string;
  userId: string;
  logSession: string | null;
  /** The store key of the cart it came from: locked while the attempt is unknown. */
  cartKey: string | null;
  lines: { productId: string; name: string; qty: number }[];
  total: number;
  currency: string;
  state: 'unknown' | 'placed' | 'failed' | 'abandoned';
  orderId: string | null;
  problem: string | null;
  createdAt: string;
  updatedAt: string;
}

type AttemptRow = {
  idem_key: string;
  ref: string;
  user_id: string;
  log_session: string | null;
  cart_key: string | null;
  lines_json: string;
  total: number;
  currency: string;
  state: OrderAttempt['state'];
  order_id: string | null;
  problem: string | null;
  created_at: string;
  updated_at: string;
};

const toAttempt = (r: AttemptRow): OrderAttempt => ({
  idempotencyKey: r.idem_key,
  ref: r.ref,
  userId: r.user_id,
  logSession: r.log_session,
  cartKey: r.cart_key,
  lines: JSON.parse(r.lines_json) as OrderAttempt['lines'],
  total: r.total,
  currency: r.currency,
  state: r.state,
  orderId: r.order_id,
  problem: r.problem,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

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
        `INSERT INTO orders (seq, id, number, mode, state, user_id, user_email, lines_json, handling_fee, total, currency, settlement, address_json, warehouse, main_id, main_number, idem_key, created_at, updated_at, main_confirmed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      event: db.prepare('INSERT INTO order_events (order_id, at, state, actor, detail) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?'),
      byNumber: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE number = ?'),
      byKey: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE idem_key = ?'),
      list: db.prepare<[number], OrderRow>('SELECT * FROM orders ORDER BY seq DESC LIMIT ?'),
      forUser: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE user_id = ? ORDER BY seq DESC LIMIT 100'),
      setState: db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?'),
      setMainState: db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ?'),
      cancelLogged: db.prepare('UPDATE orders SET cancel_logged = 1 WHERE id = ? AND cancel_logged = 0'),
      attemptByKey: db.prepare<[string], AttemptRow>('SELECT * FROM order_attempts WHERE idem_key = ?'),
      attemptByRef: db.prepare<[string], AttemptRow>('SELECT * FROM order_attempts WHERE ref = ?'),
      beginAttempt: db.prepare(
        `INSERT INTO order_attempts (idem_key, ref, user_id, log_session, cart_key, lines_json, total, currency, state, created_at, updated_at)
         VALUES (@key, @ref, @userId, @logSession, @cartKey, @lines, @total, @currency, 'unknown', @now, @now)
         ON CONFLICT (idem_key) DO UPDATE SET state = 'unknown', problem = NULL, log_session = excluded.log_session, cart_key = excluded.cart_key,
           lines_json = excluded.lines_json, total = excluded.total, currency = excluded.currency, updated_at = excluded.updated_at
         WHERE order_attempts.state = 'failed'`,
      ),
      setAttempt: db.prepare("UPDATE order_attempts SET state = ?, problem = ?, order_id = ?, updated_at = ? WHERE idem_key = ? AND state = 'unknown'"),
      unknownForCart: db.prepare<[string], AttemptRow>("SELECT * FROM order_attempts WHERE state = 'unknown' AND cart_key = ? ORDER BY created_at"),
      unknownForUser: db.prepare<[string], AttemptRow>("SELECT * FROM order_attempts WHERE state = 'unknown' AND user_id = ? ORDER BY created_at"),
      unknownAll: db.prepare<[number], AttemptRow>("SELECT * FROM order_attempts WHERE state = 'unknown' ORDER BY created_at LIMIT ?"),
      unconfirmed: db.prepare<[number], { main_id: string }>("SELECT main_id FROM orders WHERE mode = 'entrust' AND main_confirmed = 0 AND main_id IS NOT NULL ORDER BY seq LIMIT ?"),
      setConfirmed: db.prepare("UPDATE orders SET main_confirmed = 1 WHERE main_id = ? AND mode = 'entrust'"),
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
          o.mainConfirmed === false ? 0 : 1,
        );
        this.q.event.run(o.id, now, o.state, 'shopper', null);
        return this.toOrder(this.q.byId.get(o.id)!);
      })
      .immediate();
  }

  /**
   * Records an attempt (state unknown) before it is forwarded. A failed one
   * with the same key is reopened; returns undefined when the key already has
   * an attempt that is not failed (unknown, placed or abandoned).
   */
  beginAttempt(a: {
    idempotencyKey: string;
    ref: string;
    userId: string;
    logSession: string | null;
    cartKey: string | null;
    lines: OrderAttempt['lines'];
    total: number;
    currency: string;
  }): OrderAttempt | undefined {
    const r = this.q.beginAttempt.run({
      key: a.idempotencyKey,
      ref: a.ref,
      userId: a.userId,
      logSession: a.logSession,
      cartKey: a.cartKey,
      lines: JSON.stringify(a.lines),
      total: a.total,
      currency: a.currency,
      now: new Date().toISOString(),
    });
    return r.changes === 1 ? this.attempt(a.idempotencyKey) : undefined;
  }
  attempt(key: string): OrderAttempt | undefined {
    const r = this.q.attemptByKey.get(key);
    return r ? toAttempt(r) : undefined;
  }
  attemptByRef(ref: string): OrderAttempt | undefined {
    const r = this.q.attemptByRef.get(ref);
    return r ? toAttempt(r) : undefined;
  }
  /** Ends an unknown attempt as failed (may be sent again) or abandoned (the main site closed its key); false if it was no longer unknown. */
  endAttempt(key: string, state: 'failed' | 'abandoned', problem: string): boolean {
    return this.q.setAttempt.run(state, problem, null, new Date().toISOString(), key).changes === 1;
  }
  unknownAttempts(by: { cartKey: string } | { userId: string } | { limit: number }): OrderAttempt[] {
    const rows = 'cartKey' in by ? this.q.unknownForCart.all(by.cartKey) : 'userId' in by ? this.q.unknownForUser.all(by.userId) : this.q.unknownAll.all(by.limit);
    return rows.map(toAttempt);
  }

  /**
   * The main site's order for an attempt: written as this partner's order and
   * the attempt marked placed, in one transaction. If the order was already
   * written (two settlements at once), that one is returned and `inserted` is false.
   */
  settleAttempt(key: string, o: NewPartnerOrder): { order: PartnerOrder; inserted: boolean } {
    return this.db
      .transaction(() => {
        const had = this.q.byKey.get(key);
        if (had) {
          this.q.setAttempt.run('placed', null, had.id, new Date().toISOString(), key);
          return { order: this.toOrder(had), inserted: false };
        }
        const order = this.insert(o);
        this.q.setAttempt.run('placed', null, order.id, new Date().toISOString(), key);
        return { order, inserted: true };
      })
      .immediate();
  }

  /** Main-site ids of entrusted orders the main site has not acknowledged yet. */
  unconfirmedMainIds(limit = 500): string[] {
    return this.q.unconfirmed.all(limit).map((r) => r.main_id);
  }
  setMainConfirmed(mainIds: string[]): void {
    this.db.transaction(() => {
      for (const id of mainIds) this.q.setConfirmed.run(id);
    })();
  }

  byId(id: string): PartnerOrder | undefined {
    const r = this.q.byId.get(id);
    return r ? this.toOrder(r) : undefined;
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
  move(o: PartnerOrder, to: OrderState, actor: string, returned: { productId: string; qty: number }[], detail: string | null = null): boolean {
    return this.db
      .transaction(() => {
        const now = new Date().toISOString();
        if (this.q.setState.run(to, now, o.id, o.state).changes !== 1) return false;
        this.stock.giveBack(returned, now);
        this.q.event.run(o.id, now, to, actor, detail);
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
