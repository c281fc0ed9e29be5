import type { Db } from '../../common/store/sqlite.js';

export interface KeyRecord {
  id: string;
  partner: string;
  userId: string;
  item: string;
  idempotencyKey: string;
  requestHash: string;
  token: string;
  address: string | null;
  issuedAt: string;
  expiresAt: string;
  chargeType: 'per_access' | 'per_period';
  amount: number;
  currency: string;
  subscriptionId: string | null;
  boundAddress: string | null;
  firstUsedAt: string | null;
}

export interface SubscriptionRecord {
  partner: string;
  id: string;
  userId: string;
  item: string;
  periodStart: string;
  periodEnd: string;
  amount: number;
  currency: string;
  createdAt: string;
  cancelledAt: string | null;
}

export type RevocationScope = 'key' | 'user_item' | 'partner';

export interface RevocationRecord {
  id: number;
  scope: RevocationScope;
  keyId: string | null;
  partner: string | null;
  userId: string | null;
  item: string | null;
  effectiveAt: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

type KeyRow = {
  id: string;
  partner: string;
  user_id: string;
  item: string;
  idempotency_key: string;
  request_hash: string;
  token: string;
  address: string | null;
  issued_at: string;
  expires_at: string;
  charge_type: 'per_access' | 'per_period';
  amount: number;
  currency: string;
  subscription_id: string | null;
  bound_address: string | null;
  first_used_at: string | null;
};
const toKey = (r: KeyRow): KeyRecord => ({
  id: r.id,
  partner: r.partner,
  userId: r.user_id,
  item: r.item,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  token: r.token,
  address: r.address,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  chargeType: r.charge_type,
  amount: r.amount,
  currency: r.currency,
  subscriptionId: r.subscription_id,
  boundAddress: r.bound_address,
  firstUsedAt: r.first_used_at,
});
type SubRow = {
  partner: string;
  id: string;
  user_id: string;
  item: string;
  period_start: string;
  period_end: string;
  amount: number;
  currency: string;
  created_at: string;
  cancelled_at: string | null;
};
const toSub = (r: SubRow): SubscriptionRecord => ({
  partner: r.partner,
  id: r.id,
  userId: r.user_id,
  item: r.item,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  amount: r.amount,
  currency: r.currency,
  createdAt: r.created_at,
  cancelledAt: r.cancelled_at,
});
type RevRow = {
  id: number;
  scope: RevocationScope;
  key_id: string | null;
  partner: string | null;
  user_id: string | null;
  item: string | null;
  effective_at: string;
  reason: string;
  created_by: string;
  created_at: string;
};
const toRev = (r: RevRow): RevocationRecord => ({
  id: r.id,
  scope: r.scope,
  keyId: r.key_id,
  partner: r.partner,
  userId: r.user_id,
  item: r.item,
  effectiveAt: r.effective_at,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Keys, subscriptions and revocations of the main site's paid content. SQL lives only here. */
export class PaidStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      keyById: db.prepare<[string], KeyRow>('SELECT * FROM paid_keys WHERE id = ?'),
      keyByIdem: db.prepare<[string, string], KeyRow>('SELECT * FROM paid_keys WHERE partner = ? AND idempotency_key = ?'),
      insertKey: db.prepare(
        `INSERT INTO paid_keys (id, partner, user_id, item, idempotency_key, request_hash, token, address, issued_at, expires_at, charge_type, amount, currency, subscription_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      bind: db.prepare('UPDATE paid_keys SET bound_address = ?, first_used_at = ? WHERE id = ? AND first_used_at IS NULL'),
      keysFiltered: db.prepare<{ partner: string; item: string; user: string; limit: number }, KeyRow>(
        "SELECT * FROM paid_keys WHERE (@partner = '' OR partner = @partner) AND (@item = '' OR item = @item) AND (@user = '' OR user_id = @user) ORDER BY issued_at DESC, id LIMIT @limit",
      ),
      liveKeysOf: db.prepare<[string, string, string, string], { id: string }>('SELECT id FROM paid_keys WHERE partner = ? AND user_id = ? AND item = ? AND expires_at > ?'),
      charges: db.prepare<[], { partner: string; item: string; currency: string; keys: number; amount: number }>(
        'SELECT partner, item, currency, COUNT(*) AS keys, SUM(amount) AS amount FROM paid_keys GROUP BY partner, item, currency ORDER BY partner, item',
      ),
      subById: db.prepare<[string, string], SubRow>('SELECT * FROM paid_subscriptions WHERE partner = ? AND id = ?'),
      subCovering: db.prepare<[string, string, string, string, string], SubRow>(
        'SELECT * FROM paid_subscriptions WHERE partner = ? AND user_id = ? AND item = ? AND period_start <= ? AND period_end > ? ORDER BY period_end DESC LIMIT 1',
      ),
      subLatest: db.prepare<[string, string, string], SubRow>('SELECT * FROM paid_subscriptions WHERE partner = ? AND user_id = ? AND item = ? ORDER BY period_end DESC LIMIT 1'),
      insertSub: db.prepare(
        `INSERT INTO paid_subscriptions (partner, id, user_id, item, period_start, period_end, amount, currency, created_at)
         VALUES (@partner, @id, @userId, @item, @periodStart, @periodEnd, @amount, @currency, @createdAt)`,
      ),
      cancelSub: db.prepare('UPDATE paid_subscriptions SET cancelled_at = ? WHERE partner = ? AND id = ? AND cancelled_at IS NULL'),
      subs: db.prepare<[number], SubRow>('SELECT * FROM paid_subscriptions ORDER BY created_at DESC LIMIT ?'),
      insertRev: db.prepare(
        `INSERT INTO paid_revocations (scope, key_id, partner, user_id, item, effective_at, reason, created_by, created_at)
         VALUES (@scope, @keyId, @partner, @userId, @item, @effectiveAt, @reason, @createdBy, @createdAt)`,
      ),
      revs: db.prepare<[], RevRow>('SELECT * FROM paid_revocations ORDER BY id'),
    };
    this.insertKeysTx = db.transaction((keys: readonly KeyRecord[], alongside: () => void) => {
      for (const k of keys) this.insertKey(k);
      alongside();
    });
  }

  key(id: string): KeyRecord | undefined {
    const r = this.q.keyById.get(id);
    return r ? toKey(r) : undefined;
  }

  keyByIdempotency(partner: string, idempotencyKey: string): KeyRecord | undefined {
    const r = this.q.keyByIdem.get(partner, idempotencyKey);
    return r ? toKey(r) : undefined;
  }

  /** Inserts the key with its charge (not yet bound); the service runs this inside `transaction`. */
  insertKey(k: KeyRecord): void {
    this.q.insertKey.run(k.id, k.partner, k.userId, k.item, k.idempotencyKey, k.requestHash, k.token, k.address, k.issuedAt, k.expiresAt, k.chargeType, k.amount, k.currency, k.subscriptionId);
  }

  /**
   * Inserts keys with their charges in one transaction (all or none), running
   * `alongside` inside the same transaction (the site's log commits its
   * entries there: one commit instead of two). The transaction function is
   * made once: issuing is the hot path.
   */
  insertKeys(keys: readonly KeyRecord[], alongside: () => void = () => undefined): void {
    this.insertKeysTx(keys, alongside);
  }
  private readonly insertKeysTx: (keys: readonly KeyRecord[], alongside: () => void) => void;

  /** Binds a key to its first address; false when another request bound it first. */
  bind(id: string, address: string, at: string): boolean {
    return this.q.bind.run(address, at, id).changes === 1;
  }

  keys(f: { partner?: string; item?: string; user?: string; limit?: number } = {}): KeyRecord[] {
    return this.q.keysFiltered.all({ partner: f.partner ?? '', item: f.item ?? '', user: f.user ?? '', limit: Math.min(f.limit ?? 500, 5000) }).map(toKey);
  }

  liveKeysOf(partner: string, userId: string, item: string, now: string): string[] {
    return this.q.liveKeysOf.all(partner, userId, item, now).map((r) => r.id);
  }

  /** Keys and charges per partner and item (period items count their keys at 0). */
  chargeTotals() {
    return this.q.charges.all();
  }

  subscription(partner: string, id: string): SubscriptionRecord | undefined {
    const r = this.q.subById.get(partner, id);
    return r ? toSub(r) : undefined;
  }

  /** The subscription whose period covers `at`, if any. */
  subscriptionCovering(partner: string, userId: string, item: string, at: string): SubscriptionRecord | undefined {
    const r = this.q.subCovering.get(partner, userId, item, at, at);
    return r ? toSub(r) : undefined;
  }

  latestSubscription(partner: string, userId: string, item: string): SubscriptionRecord | undefined {
    const r = this.q.subLatest.get(partner, userId, item);
    return r ? toSub(r) : undefined;
  }

  insertSubscription(s: Omit<SubscriptionRecord, 'cancelledAt'>): void {
    this.q.insertSub.run(s);
  }

  cancelSubscription(partner: string, id: string, at: string): void {
    this.q.cancelSub.run(at, partner, id);
  }

  subscriptions(limit = 500): SubscriptionRecord[] {
    return this.q.subs.all(Math.min(limit, 5000)).map(toSub);
  }

  insertRevocation(r: Omit<RevocationRecord, 'id'>): number {
    return Number(this.q.insertRev.run(r).lastInsertRowid);
  }

  revocations(): RevocationRecord[] {
    return this.q.revs.all().map(toRev);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
