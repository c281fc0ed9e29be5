import type { Db } from '../../common/store/sqlite.js';

export interface ChargeRecord {
  id: string;
  kind: 'access' | 'period';
  userId: string;
  item: string;
  amount: number;
  currency: string;
  createdAt: string;
}
/** A charge as the manager reads it: with the member's name and e-mail where this site knows them. */
export interface ChargeWithMember extends ChargeRecord {
  member: { email: string; name: string } | null;
}
export interface PartnerSubscription {
  id: string;
  userId: string;
  item: string;
  periodStart: string;
  periodEnd: string;
  cancelledAt: string | null;
}

type ChargeRow = { id: string; kind: 'access' | 'period'; user_id: string; item: string; amount: number; currency: string; created_at: string };
type SubRow = { id: string; user_id: string; item: string; period_start: string; period_end: string; cancelled_at: string | null };
const toCharge = (r: ChargeRow): ChargeRecord => ({ id: r.id, kind: r.kind, userId: r.user_id, item: r.item, amount: r.amount, currency: r.currency, createdAt: r.created_at });
const toSub = (r: SubRow): PartnerSubscription => ({ id: r.id, userId: r.user_id, item: r.item, periodStart: r.period_start, periodEnd: r.period_end, cancelledAt: r.cancelled_at });

/** A partner's charges to its members and their subscriptions. SQL lives only here. */
export class PartnerPaidStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      insertCharge: db.prepare('INSERT OR IGNORE INTO paid_charges (id, kind, user_id, item, amount, currency, created_at) VALUES (@id, @kind, @userId, @item, @amount, @currency, @createdAt)'),
      charges: db.prepare<[number], ChargeRow & { email: string | null; name: string | null }>(
        'SELECT c.*, m.email, m.name FROM paid_charges c LEFT JOIN paid_members m ON m.user_id = c.user_id ORDER BY c.created_at DESC, c.id LIMIT ?',
      ),
      noteMember: db.prepare(
        `INSERT INTO paid_members (user_id, email, name, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name, updated_at = excluded.updated_at`,
      ),
      totals: db.prepare<[], { item: string; kind: string; currency: string; charges: number; amount: number }>(
        'SELECT item, kind, currency, COUNT(*) AS charges, SUM(amount) AS amount FROM paid_charges GROUP BY item, kind, currency ORDER BY item',
      ),
      upsertSub: db.prepare(
        `INSERT INTO paid_subscriptions (id, user_id, item, period_start, period_end, cancelled_at) VALUES (@id, @userId, @item, @periodStart, @periodEnd, @cancelledAt)
         ON CONFLICT (id) DO UPDATE SET cancelled_at = excluded.cancelled_at`,
      ),
      between: db.prepare<[string, string], ChargeRow>('SELECT * FROM paid_charges WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id'),
      chargesOf: db.prepare<[string, number], ChargeRow>('SELECT * FROM paid_charges WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ?'),
      subsOf: db.prepare<[string, string], SubRow>('SELECT * FROM paid_subscriptions WHERE user_id = ? AND period_end > ? ORDER BY period_end'),
      current: db.prepare<[string, string, string], SubRow>('SELECT * FROM paid_subscriptions WHERE user_id = ? AND item = ? AND period_end > ? ORDER BY period_end DESC LIMIT 1'),
    };
  }

  /** Records a charge once (by its id); true when this call recorded it. */
  recordCharge(c: ChargeRecord): boolean {
    return this.q.insertCharge.run(c).changes === 1;
  }

  charges(limit = 500): ChargeWithMember[] {
    return this.q.charges.all(Math.min(limit, 5000)).map((r) => ({ ...toCharge(r), member: r.email !== null && r.name !== null ? { email: r.email, name: r.name } : null }));
  }

  /** Remembers the member's name and e-mail as their session has them (latest wins). */
  noteMember(userId: string, member: { email: string; name: string }): void {
    this.q.noteMember.run(userId, member.email.slice(0, 320), member.name.slice(0, 200), new Date().toISOString());
  }

  /** One member's charges, newest first (their account page). */
  chargesOf(userId: string, limit = 50): ChargeRecord[] {
    return this.q.chargesOf.all(userId, Math.min(limit, 500)).map(toCharge);
  }

  /** One member's subscriptions whose period has not ended. */
  subscriptionsOf(userId: string, now: string): PartnerSubscription[] {
    return this.q.subsOf.all(userId, now).map(toSub);
  }

  /** Charges made in [from, to) (the sales statement of a month; reconcile-*.ts). */
  chargesBetween(from: string, to: string): ChargeRecord[] {
    return this.q.between.all(from, to).map(toCharge);
  }

  totals() {
    return this.q.totals.all();
  }

  saveSubscription(s: PartnerSubscription): void {
    this.q.upsertSub.run(s);
  }

  /** The member's subscription whose period has not ended, if any. */
  currentSubscription(userId: string, item: string, now: string): PartnerSubscription | undefined {
    const r = this.q.current.get(userId, item, now);
    return r ? toSub(r) : undefined;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
