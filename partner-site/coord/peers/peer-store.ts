import { randomBytes } from 'node:crypto';
import type { Db } from '../../../common/store/sqlite.js';

export interface DeliveryRow {
  id: string;
  idempotencyKey: string;
  requestHash: string;
  reference: string;
  received: string;
  state: 'booked' | 'cancelled';
  createdAt: string;
}

export interface AuthorisationRow {
  id: string;
  idempotencyKey: string;
  requestHash: string;
  paymentRef: string;
  amount: number;
  currency: string;
  captured: number;
  released: number;
  createdAt: string;
}

export interface SettlementOpRow {
  idempotencyKey: string;
  requestHash: string;
  authorisationId: string;
  kind: 'capture' | 'release';
  part: string;
  amount: number;
  received: string;
  createdAt: string;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;
const now = () => new Date().toISOString();

/** The delivery service's bookings. */
export class DeliveryStore {
  constructor(private readonly db: Db) {}

  byKey(key: string): DeliveryRow | undefined {
    return this.db
      .prepare(
        'SELECT id, idempotency_key AS idempotencyKey, request_hash AS requestHash, reference, received_json AS received, state, created_at AS createdAt FROM coord_deliveries WHERE idempotency_key = ?',
      )
      .get(key) as DeliveryRow | undefined;
  }

  byReference(reference: string): DeliveryRow | undefined {
    return this.db
      .prepare(
        'SELECT id, idempotency_key AS idempotencyKey, request_hash AS requestHash, reference, received_json AS received, state, created_at AS createdAt FROM coord_deliveries WHERE reference = ?',
      )
      .get(reference) as DeliveryRow | undefined;
  }

  book(o: { idempotencyKey: string; requestHash: string; reference: string; received: string }): DeliveryRow {
    const id = newId('dlv');
    this.db
      .prepare("INSERT INTO coord_deliveries (id, idempotency_key, request_hash, reference, received_json, state, created_at) VALUES (?, ?, ?, ?, ?, 'booked', ?)")
      .run(id, o.idempotencyKey, o.requestHash, o.reference, o.received, now());
    return this.byKey(o.idempotencyKey)!;
  }

  cancel(reference: string): boolean {
    return this.db.prepare("UPDATE coord_deliveries SET state = 'cancelled' WHERE reference = ? AND state = 'booked'").run(reference).changes === 1;
  }

  list(limit = 200): DeliveryRow[] {
    return this.db
      .prepare(
        'SELECT id, idempotency_key AS idempotencyKey, request_hash AS requestHash, reference, received_json AS received, state, created_at AS createdAt FROM coord_deliveries ORDER BY created_at DESC LIMIT ?',
      )
      .all(limit) as DeliveryRow[];
  }
}

const AUTH_COLS = 'id, idempotency_key AS idempotencyKey, request_hash AS requestHash, payment_ref AS paymentRef, amount, currency, captured, released, created_at AS createdAt';
const OP_COLS = 'idempotency_key AS idempotencyKey, request_hash AS requestHash, authorisation_id AS authorisationId, kind, part, amount, received_json AS received, created_at AS createdAt';

/** The settlement agent's authorisations and the captures and releases against them. */
export class SettlementStore {
  constructor(private readonly db: Db) {}

  authByKey(key: string): AuthorisationRow | undefined {
    return this.db.prepare(`SELECT ${AUTH_COLS} FROM coord_authorisations WHERE idempotency_key = ?`).get(key) as AuthorisationRow | undefined;
  }

  auth(id: string): AuthorisationRow | undefined {
    return this.db.prepare(`SELECT ${AUTH_COLS} FROM coord_authorisations WHERE id = ?`).get(id) as AuthorisationRow | undefined;
  }

  authorise(o: { idempotencyKey: string; requestHash: string; paymentRef: string; amount: number; currency: string }): AuthorisationRow {
    this.db
      .prepare('INSERT INTO coord_authorisations (id, idempotency_key, request_hash, payment_ref, amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(newId('auth'), o.idempotencyKey, o.requestHash, o.paymentRef, o.amount, o.currency, now());
    return this.authByKey(o.idempotencyKey)!;
  }

  opByKey(key: string): SettlementOpRow | undefined {
    return this.db.prepare(`SELECT ${OP_COLS} FROM coord_settlement_ops WHERE idempotency_key = ?`).get(key) as SettlementOpRow | undefined;
  }

  /** Records a capture or release and moves the authorisation's totals, in one transaction. */
  apply(o: { idempotencyKey: string; requestHash: string; authorisationId: string; kind: 'capture' | 'release'; part: string; amount: number; received: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO coord_settlement_ops (idempotency_key, request_hash, authorisation_id, kind, part, amount, received_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(o.idempotencyKey, o.requestHash, o.authorisationId, o.kind, o.part, o.amount, o.received, now());
      const col = o.kind === 'capture' ? 'captured' : 'released';
      this.db.prepare(`UPDATE coord_authorisations SET ${col} = ${col} + ? WHERE id = ?`).run(o.amount, o.authorisationId);
    })();
  }

  list(limit = 200): { auth: AuthorisationRow; ops: SettlementOpRow[] }[] {
    const auths = this.db.prepare(`SELECT ${AUTH_COLS} FROM coord_authorisations ORDER BY created_at DESC LIMIT ?`).all(limit) as AuthorisationRow[];
    const ops = this.db.prepare(`SELECT ${OP_COLS} FROM coord_settlement_ops WHERE authorisation_id = ? ORDER BY created_at`);
    return auths.map((auth) => ({ auth, ops: ops.all(auth.id) as SettlementOpRow[] }));
  }
}
