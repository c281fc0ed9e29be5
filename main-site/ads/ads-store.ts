import type { Db } from '../../common/store/sqlite.js';
import { adDefinition, type AdDefinition } from '../../common/ads/index.js';

export const AD_STATES = ['commissioned', 'awaiting_payment', 'active', 'grace', 'suspended', 'stopped', 'withdrawn'] as const;
export type AdState = (typeof AD_STATES)[number];
export type Variant = 'stop' | 'grace';

export interface AdRow {
  id: string;
  advertiser: string;
  definition: AdDefinition;
  variant: Variant;
  graceSeconds: number;
  countPerPayment: number;
  price: { amount: number; currency: string };
  state: AdState;
  paidTotal: number;
  cycleStart: number;
  graceUntil: string | null;
  createdAt: string;
  updatedAt: string;
  reserved: number;
  delivered: number;
}

export interface LeaseRow {
  id: string;
  ad: string;
  site: string;
  size: number;
  used: number;
  state: 'open' | 'lapsed' | 'closed';
  grantedAt: string;
  expiresAt: string;
  closedAt: string | null;
}

export interface PaymentRow {
  id: string;
  ad: string;
  count: number;
  amount: number;
  currency: string;
  source: 'operator' | 'webhook';
  recordedBy: string;
  recordedAt: string;
  stateBefore: string;
}

export interface EventRow {
  seq: number;
  ad: string;
  at: string;
  kind: string;
  detail: string;
  notice: string | null;
}

export interface PointsLot {
  ad: string;
  period: string;
  points: number;
  site: string;
  earnedAt: string;
  expiresAt: string;
}

interface RawAd {
  id: string;
  advertiser: string;
  definition: string;
  variant: Variant;
  grace_seconds: number;
  count_per_payment: number;
  price_amount: number;
  currency: string;
  state: AdState;
  paid_total: number;
  cycle_start: number;
  grace_until: string | null;
  created_at: string;
  updated_at: string;
  reserved: number | null;
  delivered: number | null;
}

const AD_SELECT = 'SELECT a.*, t.reserved, t.delivered FROM ads a LEFT JOIN ad_totals t ON t.ad = a.id';
const toAd = (r: RawAd): AdRow => ({
  id: r.id,
  advertiser: r.advertiser,
  definition: adDefinition.parse(JSON.parse(r.definition)),
  variant: r.variant,
  graceSeconds: r.grace_seconds,
  countPerPayment: r.count_per_payment,
  price: { amount: r.price_amount, currency: r.currency },
  state: r.state,
  paidTotal: r.paid_total,
  cycleStart: r.cycle_start,
  graceUntil: r.grace_until,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  reserved: r.reserved ?? 0,
  delivered: r.delivered ?? 0,
});
const toLease = (r: Record<string, unknown>): LeaseRow => ({
  id: r.id as string,
  ad: r.ad as string,
  site: r.site as string,
  size: r.size as number,
  used: r.used as number,
  state: r.state as LeaseRow['state'],
  grantedAt: r.granted_at as string,
  expiresAt: r.expires_at as string,
  closedAt: (r.closed_at as string | null) ?? null,
});

/** The main site's ads SQL: ads, payments, leases and their totals, events, viewing points. */
export class AdsStore {
  private readonly getAd;
  private readonly getLease;
  constructor(readonly db: Db) {
    this.getAd = db.prepare(`${AD_SELECT} WHERE a.id = ?`);
    this.getLease = db.prepare('SELECT * FROM ad_leases WHERE id = ?');
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  ad(id: string): AdRow | undefined {
    const r = this.getAd.get(id) as RawAd | undefined;
    return r ? toAd(r) : undefined;
  }

  ads(filter: { advertiser?: string; state?: AdState } = {}): AdRow[] {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.advertiser) {
      where.push('a.advertiser = ?');
      args.push(filter.advertiser);
    }
    if (filter.state) {
      where.push('a.state = ?');
      args.push(filter.state);
    }
    return (this.db.prepare(`${AD_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id`).all(...args) as RawAd[]).map(toAd);
  }

  insertAd(a: {
    id: string;
    advertiser: string;
    definition: AdDefinition;
    variant: Variant;
    graceSeconds: number;
    countPerPayment: number;
    price: { amount: number; currency: string };
    at: string;
  }): void {
    this.db
      .prepare(
        `INSERT INTO ads (id, advertiser, definition, variant, grace_seconds, count_per_payment, price_amount, currency, state, paid_total, cycle_start, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'commissioned', 0, 0, ?, ?)`,
      )
      .run(a.id, a.advertiser, JSON.stringify(a.definition), a.variant, a.graceSeconds, a.countPerPayment, a.price.amount, a.price.currency, a.at, a.at);
    this.db.prepare('INSERT INTO ad_totals (ad, reserved, delivered) VALUES (?, 0, 0)').run(a.id);
  }

  setState(id: string, s: { state: AdState; paidTotal?: number; cycleStart?: number; graceUntil?: string | null }, at: string): void {
    const cur = this.ad(id)!;
    this.db
      .prepare('UPDATE ads SET state = ?, paid_total = ?, cycle_start = ?, grace_until = ?, updated_at = ? WHERE id = ?')
      .run(s.state, s.paidTotal ?? cur.paidTotal, s.cycleStart ?? cur.cycleStart, s.graceUntil === undefined ? cur.graceUntil : s.graceUntil, at, id);
  }

  payment(id: string): PaymentRow | undefined {
    const r = this.db.prepare('SELECT * FROM ad_payments WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? this.toPayment(r) : undefined;
  }

  payments(ad: string): PaymentRow[] {
    return (this.db.prepare('SELECT * FROM ad_payments WHERE ad = ? ORDER BY recorded_at, id').all(ad) as Record<string, unknown>[]).map((r) => this.toPayment(r));
  }

  private toPayment(r: Record<string, unknown>): PaymentRow {
    return {
      id: r.id as string,
      ad: r.ad as string,
      count: r.count as number,
      amount: r.amount as number,
      currency: r.currency as string,
      source: r.source as PaymentRow['source'],
      recordedBy: r.recorded_by as string,
      recordedAt: r.recorded_at as string,
      stateBefore: r.state_before as string,
    };
  }

  insertPayment(p: PaymentRow): void {
    this.db
      .prepare('INSERT INTO ad_payments (id, ad, count, amount, currency, source, recorded_by, recorded_at, state_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(p.id, p.ad, p.count, p.amount, p.currency, p.source, p.recordedBy, p.recordedAt, p.stateBefore);
  }

  lease(id: string): LeaseRow | undefined {
    const r = this.getLease.get(id) as Record<string, unknown> | undefined;
    return r ? toLease(r) : undefined;
  }

  leases(filter: { ad?: string; site?: string; state?: LeaseRow['state']; limit?: number } = {}): LeaseRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.ad) {
      where.push('ad = ?');
      args.push(filter.ad);
    }
    if (filter.site) {
      where.push('site = ?');
      args.push(filter.site);
    }
    if (filter.state) {
      where.push('state = ?');
      args.push(filter.state);
    }
    args.push(Math.min(filter.limit ?? 500, 5000));
    return (this.db.prepare(`SELECT * FROM ad_leases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY granted_at DESC, id LIMIT ?`).all(...args) as Record<string, unknown>[]).map(
      toLease,
    );
  }

  /** Sites holding an open lease of an ad. */
  holders(ad: string): string[] {
    return (this.db.prepare("SELECT DISTINCT site FROM ad_leases WHERE ad = ? AND state = 'open'").all(ad) as { site: string }[]).map((r) => r.site);
  }

  insertLease(l: { id: string; ad: string; site: string; size: number; grantedAt: string; expiresAt: string }): void {
    this.db.prepare("INSERT INTO ad_leases (id, ad, site, size, used, state, granted_at, expires_at) VALUES (?, ?, ?, ?, 0, 'open', ?, ?)").run(l.id, l.ad, l.site, l.size, l.grantedAt, l.expiresAt);
    this.db.prepare('UPDATE ad_totals SET reserved = reserved + ? WHERE ad = ?').run(l.size, l.ad);
  }

  /** Applies a holder's report: `used` only grows; a close frees the unused part of the reservation. */
  reportLease(l: LeaseRow, used: number, close: boolean, at: string): void {
    const grew = used - l.used;
    const freed = close ? l.size - used : 0;
    this.db.prepare('UPDATE ad_leases SET used = ?, state = ?, closed_at = ? WHERE id = ?').run(used, close ? 'closed' : l.state, close ? at : null, l.id);
    this.db.prepare('UPDATE ad_totals SET delivered = delivered + ?, reserved = reserved - ? WHERE ad = ?').run(grew, freed, l.ad);
  }

  /** Records a site's exchange number; false when it is not higher than the last one (a stale copy). */
  advanceSite(site: string, seq: number): boolean {
    const had = this.db.prepare('SELECT last_seq FROM ad_sites WHERE site = ?').get(site) as { last_seq: number } | undefined;
    if (had && had.last_seq >= seq) return false;
    this.db.prepare('INSERT INTO ad_sites (site, last_seq) VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET last_seq = excluded.last_seq').run(site, seq);
    return true;
  }

  /** Open and lapsed leases a site holds. */
  heldBy(site: string): LeaseRow[] {
    return (this.db.prepare("SELECT * FROM ad_leases WHERE site = ? AND state IN ('open', 'lapsed')").all(site) as Record<string, unknown>[]).map(toLease);
  }

  lapseExpired(now: string): number {
    return this.db.prepare("UPDATE ad_leases SET state = 'lapsed' WHERE state = 'open' AND expires_at <= ?").run(now).changes;
  }

  addEvent(e: { ad: string; at: string; kind: string; detail: string; notice?: string | null }): void {
    this.db.prepare('INSERT INTO ad_events (ad, at, kind, detail, notice) VALUES (?, ?, ?, ?, ?)').run(e.ad, e.at, e.kind, e.detail, e.notice ?? null);
  }

  events(ad: string, limit = 200): EventRow[] {
    return this.db.prepare('SELECT seq, ad, at, kind, detail, notice FROM ad_events WHERE ad = ? ORDER BY seq DESC LIMIT ?').all(ad, limit) as EventRow[];
  }

  graceOver(now: string): string[] {
    return (this.db.prepare("SELECT id FROM ads WHERE state = 'grace' AND grace_until <= ?").all(now) as { id: string }[]).map((r) => r.id);
  }

  creditPoints(p: { user: string; ad: string; period: string; points: number; site: string; lease: string; seq: number; earnedAt: string; expiresAt: string }): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO ad_points (user_id, ad, period, points, site, lease, seq, earned_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(p.user, p.ad, p.period, p.points, p.site, p.lease, p.seq, p.earnedAt, p.expiresAt).changes === 1
    );
  }

  setPointsLogIndex(user: string, ad: string, period: string, index: number): void {
    this.db.prepare('UPDATE ad_points SET log_index = ? WHERE user_id = ? AND ad = ? AND period = ?').run(index, user, ad, period);
  }

  /** Every shopper with a credit not yet expired at `at` (some may have spent it all). */
  usersWithUnexpiredPoints(at: string): string[] {
    return (this.db.prepare('SELECT DISTINCT user_id FROM ad_points WHERE expires_at > ?').all(at) as { user_id: string }[]).map((r) => r.user_id);
  }

  lots(user: string): PointsLot[] {
    return (this.db.prepare('SELECT ad, period, points, site, earned_at, expires_at FROM ad_points WHERE user_id = ? ORDER BY earned_at, ad').all(user) as Record<string, unknown>[]).map((r) => ({
      ad: r.ad as string,
      period: r.period as string,
      points: r.points as number,
      site: r.site as string,
      earnedAt: r.earned_at as string,
      expiresAt: r.expires_at as string,
    }));
  }

  spends(user: string): { ref: string; points: number; reason: string; spentAt: string }[] {
    return (this.db.prepare('SELECT ref, points, reason, spent_at FROM ad_points_spent WHERE user_id = ? ORDER BY spent_at, ref').all(user) as Record<string, unknown>[]).map((r) => ({
      ref: r.ref as string,
      points: r.points as number,
      reason: r.reason as string,
      spentAt: r.spent_at as string,
    }));
  }

  spend(s: { ref: string; user: string; points: number; reason: string; at: string }): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO ad_points_spent (ref, user_id, points, reason, spent_at) VALUES (?, ?, ?, ?, ?)').run(s.ref, s.user, s.points, s.reason, s.at).changes === 1;
  }
}
