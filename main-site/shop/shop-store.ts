import type { Db } from '../../common/store/sqlite.js';
import { StockTable } from '../../common/shop/stock-table.js';
import type { DeliveryAddress, NewOrderFields, OrderLine, OrderState, OrderView, Settlement } from '../../common/shop/order-states.js';

type OrderRow = {
  id: string;
  number: string;
  site: string;
  mode: 'direct' | 'entrust';
  state: OrderState;
  user_id: string;
  user_email: string;
  lines_json: string;
  total: number;
  currency: string;
  settlement: Settlement;
  address_json: string | null;
  warehouse: string | null;
  created_at: string;
  updated_at: string;
  confirmed_at: string | null;
  expired_at: string | null;
};

const toView = (r: OrderRow): OrderView => ({
  id: r.id,
  number: r.number,
  site: r.site,
  mode: r.mode,
  state: r.state,
  lines: JSON.parse(r.lines_json) as OrderLine[],
  handlingFee: 0,
  total: r.total,
  currency: r.currency,
  settlement: r.settlement,
  address: r.address_json ? (JSON.parse(r.address_json) as DeliveryAddress) : null,
  warehouse: r.warehouse,
  userId: r.user_id,
  userEmail: r.user_email,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** One state of an order: when, who moved it, and what they added (a tracking reference, a reason). */
export interface OrderEvent {
  at: string;
  state: OrderState;
  actor: string;
  detail: string | null;
}

/** An entrusted order its partner has not confirmed (yet), or one that expired for that reason. */
export interface UnconfirmedOrder extends OrderView {
  expiredAt: string | null;
}

/** The key was closed by a lookup that found no order for it: a late copy of the request is refused. */
export class KeyClosed extends Error {
  constructor(readonly key: string) {
    super(`idempotency key ${key} is closed`);
    this.name = 'KeyClosed';
  }
}

export interface NewMainOrder extends NewOrderFields {
  site: string;
  mode: 'direct' | 'entrust';
  warehouse: string;
}

/**
 * Stock, orders and idempotency keys of the main site. Every change that must
 * be all-or-nothing (reserve every line, write the order, remember the key)
 * runs in one SQLite transaction; SQLite has one writer, so two partners
 * ordering the last unit at the same moment are serialised and one is refused.
 */
export class MainShopStore {
  private readonly q;
  readonly stock: StockTable;
  constructor(private readonly db: Db) {
    this.stock = new StockTable(db, 'stock');
    this.q = {
      insert: db.prepare(
        `INSERT INTO orders (id, site, mode, state, user_id, user_email, lines_json, total, currency, settlement, address_json, warehouse, created_at, updated_at)
         VALUES (?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      event: db.prepare('INSERT INTO order_events (order_id, at, state, actor, detail) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare<[string], OrderEvent>('SELECT at, state, actor, detail FROM order_events WHERE order_id = ? ORDER BY rowid'),
      forUserAll: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE user_id = ? ORDER BY seq DESC LIMIT 200'),
      byId: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?'),
      byNumber: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE number = ?'),
      list: db.prepare<[string, string, string, string, number], OrderRow>(`SELECT * FROM orders WHERE (? = '' OR site = ?) AND (? = '' OR state = ?) ORDER BY seq DESC LIMIT ?`),
      forUser: db.prepare<[string, string], OrderRow>('SELECT * FROM orders WHERE user_id = ? AND site = ? ORDER BY seq DESC LIMIT 100'),
      setState: db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?'),
      key: db.prepare<[string, string], { request_hash: string; order_id: string }>('SELECT request_hash, order_id FROM idempotency_keys WHERE site = ? AND key = ?'),
      addKey: db.prepare('INSERT INTO idempotency_keys (site, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      closedKey: db.prepare<[string, string], { closed_at: string }>('SELECT closed_at FROM closed_keys WHERE site = ? AND key = ?'),
      closeKey: db.prepare('INSERT OR IGNORE INTO closed_keys (site, key, closed_at) VALUES (?, ?, ?)'),
      confirm: db.prepare("UPDATE orders SET confirmed_at = ? WHERE id = ? AND site = ? AND mode = 'entrust' AND confirmed_at IS NULL"),
      unconfirmed: db.prepare<[number], OrderRow>("SELECT * FROM orders WHERE mode = 'entrust' AND confirmed_at IS NULL ORDER BY seq DESC LIMIT ?"),
      toExpire: db.prepare<[string], OrderRow>("SELECT * FROM orders WHERE mode = 'entrust' AND confirmed_at IS NULL AND expired_at IS NULL AND state = 'accepted' AND created_at < ? ORDER BY seq"),
      setExpired: db.prepare("UPDATE orders SET state = 'cancelled', expired_at = ?, updated_at = ? WHERE id = ? AND state = 'accepted' AND confirmed_at IS NULL"),
      consult: db.prepare('INSERT INTO consultations (id, site, at, lines_json, command_json) VALUES (?, ?, ?, ?, ?)'),
      consultations: db.prepare<[number], { id: string; site: string; at: string; lines_json: string; command_json: string }>('SELECT * FROM consultations ORDER BY at DESC LIMIT ?'),
    };
  }

  /** An earlier order for this idempotency key, with the hash of the request that made it. */
  keyed(site: string, key: string): { requestHash: string; order: OrderView } | undefined {
    const k = this.q.key.get(site, key);
    if (!k) return undefined;
    return { requestHash: k.request_hash, order: toView(this.q.byId.get(k.order_id)!) };
  }

  /**
   * Reserves every line and writes the order (and its idempotency key) in one
   * transaction. Throws OutOfStock, changing nothing, if any line cannot be had.
   */
  place(o: NewMainOrder, idempotency?: { key: string; requestHash: string }): OrderView {
    return this.db
      .transaction(() => {
        const now = new Date().toISOString();
        // Inside the write transaction, so a lookup that closes the key and this order are strictly one before the other.
        if (idempotency && this.q.closedKey.get(o.site, idempotency.key)) throw new KeyClosed(idempotency.key);
        this.stock.takeAll(o.lines, now);
        this.q.insert.run(o.id, o.site, o.mode, o.userId, o.userEmail, JSON.stringify(o.lines), o.total, o.currency, o.settlement, o.address ? JSON.stringify(o.address) : null, o.warehouse, now, now);
        this.q.event.run(o.id, now, 'accepted', o.site, null);
        if (idempotency) this.q.addKey.run(o.site, idempotency.key, idempotency.requestHash, o.id, now);
        return toView(this.q.byId.get(o.id)!);
      })
      .immediate();
  }

  /**
   * The order a partner's key made, or none; when none, the key is closed in
   * the same write transaction, so the answer "not found" stays true.
   */
  lookupOrClose(site: string, key: string): OrderView | undefined {
    return this.db
      .transaction(() => {
        const k = this.q.key.get(site, key);
        if (k) return toView(this.q.byId.get(k.order_id)!);
        this.q.closeKey.run(site, key, new Date().toISOString());
        return undefined;
      })
      .immediate();
  }

  /** Marks a partner's entrusted orders confirmed; returns the ids that are now confirmed (already confirmed ones included). */
  confirm(site: string, ids: string[]): string[] {
    return this.db.transaction(() => {
      const now = new Date().toISOString();
      const out: string[] = [];
      for (const id of ids) {
        this.q.confirm.run(now, id, site);
        const r = this.q.byId.get(id);
        if (r && r.site === site && r.mode === 'entrust' && r.confirmed_at !== null) out.push(id);
      }
      return out;
    })();
  }

  /** Entrusted orders no partner confirmed, newest first, expired ones included. */
  unconfirmed(limit = 200): UnconfirmedOrder[] {
    return this.q.unconfirmed.all(limit).map((r) => ({ ...toView(r), expiredAt: r.expired_at }));
  }

  /**
   * Cancels every unconfirmed entrusted order still accepted and placed before
   * `cutoff`, returning its stock, each in its own transaction; returns those expired.
   */
  expireUnconfirmed(cutoff: string, actor: string): UnconfirmedOrder[] {
    const out: UnconfirmedOrder[] = [];
    for (const r of this.q.toExpire.all(cutoff)) {
      const done = this.db
        .transaction(() => {
          const now = new Date().toISOString();
          if (this.q.setExpired.run(now, now, r.id).changes !== 1) return false;
          this.stock.giveBack(JSON.parse(r.lines_json) as OrderLine[], now);
          this.q.event.run(r.id, now, 'cancelled', actor, null);
          return true;
        })
        .immediate();
      if (done) {
        const after = this.q.byId.get(r.id)!;
        out.push({ ...toView(after), expiredAt: after.expired_at });
      }
    }
    return out;
  }

  get(id: string): OrderView | undefined {
    const r = this.q.byId.get(id);
    return r ? toView(r) : undefined;
  }

  byNumber(number: string): OrderView | undefined {
    const r = this.q.byNumber.get(number);
    return r ? toView(r) : undefined;
  }

  list(filter: { site?: string; state?: string; limit?: number } = {}): OrderView[] {
    const site = filter.site ?? '';
    const state = filter.state ?? '';
    return this.q.list.all(site, site, state, state, Math.min(filter.limit ?? 200, 1000)).map(toView);
  }

  forUser(userId: string, site: string): OrderView[] {
    return this.q.forUser.all(userId, site).map(toView);
  }

  /** Every order of one shopper, whichever site it was placed on (newest first, at most 200). */
  forUserAnySite(userId: string): OrderView[] {
    return this.q.forUserAll.all(userId).map(toView);
  }

  /** An order's states, oldest first, with who moved it and what they added (tracking reference, reason). */
  events(orderId: string): OrderEvent[] {
    return this.q.events.all(orderId);
  }

  /** Moves an order from `from` to `to`; a cancellation returns its units to stock in the same transaction. */
  move(id: string, from: OrderState, to: OrderState, actor: string, detail: string | null = null): boolean {
    return this.db
      .transaction(() => {
        const now = new Date().toISOString();
        if (this.q.setState.run(to, now, id, from).changes !== 1) return false;
        if (to === 'cancelled') this.stock.giveBack(JSON.parse(this.q.byId.get(id)!.lines_json) as OrderLine[], now);
        this.q.event.run(id, now, to, actor, detail);
        return true;
      })
      .immediate();
  }

  recordConsultation(c: { id: string; site: string; lines: unknown; command: unknown }): void {
    this.q.consult.run(c.id, c.site, new Date().toISOString(), JSON.stringify(c.lines), JSON.stringify(c.command));
  }

  consultations(limit = 100): { id: string; site: string; at: string; lines: unknown; command: unknown }[] {
    return this.q.consultations.all(limit).map((r) => ({ id: r.id, site: r.site, at: r.at, lines: JSON.parse(r.lines_json) as unknown, command: JSON.parse(r.command_json) as unknown }));
  }
}
