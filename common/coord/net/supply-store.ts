import type { Db } from '../../store/sqlite.js';

export type SupplyOrderState = 'pending' | 'accepted' | 'refused' | 'withdrawn';

export interface SupplyOrderRow {
  orderId: string;
  idempotencyKey: string;
  requestHash: string;
  /** The body as the coordinator sent it (JSON text). */
  received: string;
  state: SupplyOrderState;
  respondBy: string;
  reason: string | null;
  decidedBy: string | null;
  receivedAt: string;
  decidedAt: string | null;
  decisionSent: boolean;
}

interface Row {
  order_id: string;
  idempotency_key: string;
  request_hash: string;
  received_json: string;
  state: SupplyOrderState;
  respond_by: string;
  reason: string | null;
  decided_by: string | null;
  received_at: string;
  decided_at: string | null;
  decision_sent: number;
}

const toOrder = (r: Row): SupplyOrderRow => ({
  orderId: r.order_id,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  received: r.received_json,
  state: r.state,
  respondBy: r.respond_by,
  reason: r.reason,
  decidedBy: r.decided_by,
  receivedAt: r.received_at,
  decidedAt: r.decided_at,
  decisionSent: r.decision_sent === 1,
});

/** The supplier's side of coordination: its profile (goods, hand-over, payments) and the orders it received. */
export class SupplyStore {
  constructor(private readonly db: Db) {}

  profileJson(): string | null {
    const r = this.db.prepare('SELECT profile_json FROM coord_supply_profile WHERE id = 1').get() as { profile_json: string } | undefined;
    return r?.profile_json ?? null;
  }

  saveProfile(json: string): void {
    this.db
      .prepare('INSERT INTO coord_supply_profile (id, profile_json, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET profile_json = excluded.profile_json, updated_at = excluded.updated_at')
      .run(json, new Date().toISOString());
  }

  byKey(key: string): SupplyOrderRow | undefined {
    const r = this.db.prepare('SELECT * FROM coord_supply_orders WHERE idempotency_key = ?').get(key) as Row | undefined;
    return r && toOrder(r);
  }

  get(orderId: string): SupplyOrderRow | undefined {
    const r = this.db.prepare('SELECT * FROM coord_supply_orders WHERE order_id = ?').get(orderId) as Row | undefined;
    return r && toOrder(r);
  }

  insert(o: { orderId: string; idempotencyKey: string; requestHash: string; received: string; respondBy: string }): void {
    this.db
      .prepare("INSERT INTO coord_supply_orders (order_id, idempotency_key, request_hash, received_json, state, respond_by, received_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)")
      .run(o.orderId, o.idempotencyKey, o.requestHash, o.received, o.respondBy, new Date().toISOString());
  }

  /** Moves a pending order to its decision; false when it was no longer pending. */
  decide(orderId: string, state: 'accepted' | 'refused' | 'withdrawn', reason: string | null, by: string): boolean {
    const r = this.db
      .prepare("UPDATE coord_supply_orders SET state = ?, reason = ?, decided_by = ?, decided_at = ?, decision_sent = ? WHERE order_id = ? AND state = 'pending'")
      .run(state, reason, by, new Date().toISOString(), state === 'withdrawn' ? 1 : 0, orderId);
    return r.changes === 1;
  }

  markSent(orderId: string): void {
    this.db.prepare('UPDATE coord_supply_orders SET decision_sent = 1 WHERE order_id = ?').run(orderId);
  }

  unsent(): SupplyOrderRow[] {
    return (this.db.prepare("SELECT * FROM coord_supply_orders WHERE decision_sent = 0 AND state IN ('accepted', 'refused') ORDER BY decided_at").all() as Row[]).map(toOrder);
  }

  list(limit = 200): SupplyOrderRow[] {
    return (this.db.prepare('SELECT * FROM coord_supply_orders ORDER BY received_at DESC LIMIT ?').all(limit) as Row[]).map(toOrder);
  }
}
