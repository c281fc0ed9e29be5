import type { Db } from '../../common/store/sqlite.js';

export type PartyKind = 'supplier' | 'delivery' | 'settlement';
export type OrderState = 'pending' | 'accepted' | 'refused' | 'timed_out' | 'failed' | 'cancelled';
export type GroupState = 'open' | 'payment_declined' | 'cancelled';
export type StepRole = 'supplier' | 'delivery' | 'settlement';

export interface PartyRow {
  peerId: string;
  kind: PartyKind;
  /** What a supplier calls itself, from its last quote answer; null until it has answered one. */
  name: string | null;
  addedBy: string;
  addedAt: string;
}

export interface QuoteSetRow {
  id: string;
  request: string;
  quotes: string;
  missing: string;
  askedAt: string;
  elapsedMs: number;
}

export interface GroupRow {
  id: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
  quoteSetId: string;
  priorities: string;
  contact: string;
  paymentRef: string | null;
  currency: string;
  state: GroupState;
  createdAt: string;
}

export interface OrderRow {
  id: string;
  groupId: string;
  round: number;
  supplier: string;
  part: string;
  payment: 'cash_on_delivery' | 'electronic';
  authorisation: string | null;
  state: OrderState;
  reason: string | null;
  respondBy: string;
  replacedIn: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface StepRow {
  idempotencyKey: string;
  groupId: string;
  orderId: string | null;
  party: string;
  role: StepRole;
  endpoint: string;
  body: string;
  state: 'pending' | 'done' | 'failed';
  answer: string | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

const GROUP_COLS =
  'id, user_id AS userId, idempotency_key AS idempotencyKey, request_hash AS requestHash, quote_set_id AS quoteSetId, priorities_json AS priorities, contact_json AS contact, payment_ref AS paymentRef, currency, state, created_at AS createdAt';
const ORDER_COLS =
  'id, group_id AS groupId, round, supplier, part_json AS part, payment, authorisation, state, reason, respond_by AS respondBy, replaced_in AS replacedIn, created_at AS createdAt, updated_at AS updatedAt';
const STEP_COLS =
  'idempotency_key AS idempotencyKey, group_id AS groupId, order_id AS orderId, party, role, endpoint, body, state, answer_json AS answer, error, attempts, created_at AS createdAt, updated_at AS updatedAt';

const now = () => new Date().toISOString();

/** The coordinator's tables; SQL for coordination at the main site lives only here. */
export class CoordStore {
  constructor(readonly db: Db) {}

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- parties

  parties(): PartyRow[] {
    return this.db.prepare('SELECT peer_id AS peerId, kind, name, added_by AS addedBy, added_at AS addedAt FROM coord_parties ORDER BY kind, peer_id').all() as PartyRow[];
  }

  setParty(peerId: string, kind: PartyKind, by: string): void {
    this.db
      .prepare(
        'INSERT INTO coord_parties (peer_id, kind, added_by, added_at) VALUES (?, ?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET kind = excluded.kind, added_by = excluded.added_by, added_at = excluded.added_at',
      )
      .run(peerId, kind, by, now());
  }

  /** Keeps the name a party gave itself (a supplier's quote answer); a peer that is no party is left alone. */
  setPartyName(peerId: string, name: string): void {
    this.db.prepare('UPDATE coord_parties SET name = ? WHERE peer_id = ? AND name IS NOT ?').run(name, peerId, name);
  }

  removeParty(peerId: string): boolean {
    return this.db.prepare('DELETE FROM coord_parties WHERE peer_id = ?').run(peerId).changes === 1;
  }

  // ---- quote sets

  addQuoteSet(q: QuoteSetRow): void {
    this.db
      .prepare('INSERT INTO coord_quote_sets (id, request_json, quotes_json, missing_json, asked_at, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(q.id, q.request, q.quotes, q.missing, q.askedAt, q.elapsedMs);
  }

  quoteSet(id: string): QuoteSetRow | undefined {
    return this.db
      .prepare('SELECT id, request_json AS request, quotes_json AS quotes, missing_json AS missing, asked_at AS askedAt, elapsed_ms AS elapsedMs FROM coord_quote_sets WHERE id = ?')
      .get(id) as QuoteSetRow | undefined;
  }

  updateQuotes(id: string, quotes: string): void {
    this.db.prepare('UPDATE coord_quote_sets SET quotes_json = ? WHERE id = ?').run(quotes, id);
  }

  // ---- groups and orders

  groupByKey(userId: string, key: string): GroupRow | undefined {
    return this.db.prepare(`SELECT ${GROUP_COLS} FROM coord_groups WHERE user_id = ? AND idempotency_key = ?`).get(userId, key) as GroupRow | undefined;
  }

  group(id: string): GroupRow | undefined {
    return this.db.prepare(`SELECT ${GROUP_COLS} FROM coord_groups WHERE id = ?`).get(id) as GroupRow | undefined;
  }

  groups(o: { userId?: string; limit?: number } = {}): GroupRow[] {
    return o.userId
      ? (this.db.prepare(`SELECT ${GROUP_COLS} FROM coord_groups WHERE user_id = ? ORDER BY created_at DESC LIMIT ?`).all(o.userId, o.limit ?? 100) as GroupRow[])
      : (this.db.prepare(`SELECT ${GROUP_COLS} FROM coord_groups ORDER BY created_at DESC LIMIT ?`).all(o.limit ?? 100) as GroupRow[]);
  }

  insertGroup(g: Omit<GroupRow, 'createdAt' | 'state'>): void {
    this.db
      .prepare(
        "INSERT INTO coord_groups (id, user_id, idempotency_key, request_hash, quote_set_id, priorities_json, contact_json, payment_ref, currency, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
      )
      .run(g.id, g.userId, g.idempotencyKey, g.requestHash, g.quoteSetId, g.priorities, g.contact, g.paymentRef, g.currency, now());
  }

  setGroupState(id: string, state: GroupState): void {
    this.db.prepare('UPDATE coord_groups SET state = ? WHERE id = ?').run(state, id);
  }

  insertOrder(o: Omit<OrderRow, 'createdAt' | 'updatedAt' | 'replacedIn' | 'reason' | 'authorisation'>): void {
    const t = now();
    this.db
      .prepare('INSERT INTO coord_orders (id, group_id, round, supplier, part_json, payment, state, respond_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(o.id, o.groupId, o.round, o.supplier, o.part, o.payment, o.state, o.respondBy, t, t);
  }

  order(id: string): OrderRow | undefined {
    return this.db.prepare(`SELECT ${ORDER_COLS} FROM coord_orders WHERE id = ?`).get(id) as OrderRow | undefined;
  }

  orders(groupId: string): OrderRow[] {
    return this.db.prepare(`SELECT ${ORDER_COLS} FROM coord_orders WHERE group_id = ? ORDER BY round, supplier`).all(groupId) as OrderRow[];
  }

  ordersOfSupplier(supplier: string, limit = 200): OrderRow[] {
    return this.db.prepare(`SELECT ${ORDER_COLS} FROM coord_orders WHERE supplier = ? ORDER BY created_at DESC LIMIT ?`).all(supplier, limit) as OrderRow[];
  }

  /** Moves an order from one state to another; false when it was not in `from` (someone else moved it first). */
  moveOrder(id: string, from: OrderState, to: OrderState, reason: string | null): boolean {
    return this.db.prepare('UPDATE coord_orders SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state = ?').run(to, reason, now(), id, from).changes === 1;
  }

  setAuthorisation(orderIds: string[], authorisation: string): void {
    const st = this.db.prepare('UPDATE coord_orders SET authorisation = ?, updated_at = ? WHERE id = ?');
    for (const id of orderIds) st.run(authorisation, now(), id);
  }

  markReplaced(ids: string[], round: number): void {
    const st = this.db.prepare('UPDATE coord_orders SET replaced_in = ?, updated_at = ? WHERE id = ? AND replaced_in IS NULL');
    for (const id of ids) st.run(round, now(), id);
  }

  overdue(at: string): OrderRow[] {
    return this.db.prepare(`SELECT ${ORDER_COLS} FROM coord_orders WHERE state = 'pending' AND respond_by < ?`).all(at) as OrderRow[];
  }

  // ---- steps forwarded to peers

  step(key: string): StepRow | undefined {
    return this.db.prepare(`SELECT ${STEP_COLS} FROM coord_steps WHERE idempotency_key = ?`).get(key) as StepRow | undefined;
  }

  /** Records a step before it is sent; an existing step (a retry) keeps its body. */
  addStep(s: Pick<StepRow, 'idempotencyKey' | 'groupId' | 'orderId' | 'party' | 'role' | 'endpoint' | 'body'>): StepRow {
    const t = now();
    this.db
      .prepare("INSERT OR IGNORE INTO coord_steps (idempotency_key, group_id, order_id, party, role, endpoint, body, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)")
      .run(s.idempotencyKey, s.groupId, s.orderId, s.party, s.role, s.endpoint, s.body, t, t);
    return this.step(s.idempotencyKey)!;
  }

  finishStep(key: string, state: 'done' | 'failed' | 'pending', answer: string | null, error: string | null): void {
    this.db.prepare('UPDATE coord_steps SET state = ?, answer_json = ?, error = ?, attempts = attempts + 1, updated_at = ? WHERE idempotency_key = ?').run(state, answer, error, now(), key);
  }

  steps(groupId: string): StepRow[] {
    return this.db.prepare(`SELECT ${STEP_COLS} FROM coord_steps WHERE group_id = ? ORDER BY created_at, idempotency_key`).all(groupId) as StepRow[];
  }

  pendingSteps(): StepRow[] {
    return this.db.prepare(`SELECT ${STEP_COLS} FROM coord_steps WHERE state = 'pending' ORDER BY created_at LIMIT 100`).all() as StepRow[];
  }
}
