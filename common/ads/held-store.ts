import { randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite.js';
import { adDefinition, type AdDefinition } from './definition.js';

export interface HeldLease {
  id: string;
  ad: string;
  size: number;
  used: number;
  deadlineMs: number;
  closing: boolean;
}

interface LeaseRow {
  id: string;
  ad: string;
  size: number;
  used: number;
  deadline_ms: number;
  closing: number;
}

/** The serving side's SQL: leases held, ad definitions, opened click links, the click-signing secret. */
export class HeldStore {
  private readonly setUsed;
  private readonly setOwnSeq;
  constructor(private readonly db: Db) {
    this.setUsed = db.prepare('UPDATE ads_held_leases SET used = ? WHERE id = ? AND used <= ?');
    // Never lowered: a late write of an older number must not let a position be given twice.
    this.setOwnSeq = db.prepare('INSERT INTO ads_held_own_seq (ad, seq) VALUES (?, ?) ON CONFLICT (ad) DO UPDATE SET seq = MAX(seq, excluded.seq)');
  }

  /** The last delivery number given to each of the site's own ads (lease "own"). */
  ownSeqs(): Map<string, number> {
    return new Map((this.db.prepare('SELECT ad, seq FROM ads_held_own_seq').all() as { ad: string; seq: number }[]).map((r) => [r.ad, r.seq]));
  }

  leases(): HeldLease[] {
    return (this.db.prepare('SELECT id, ad, size, used, deadline_ms, closing FROM ads_held_leases ORDER BY received_at, id').all() as LeaseRow[]).map((r) => ({
      id: r.id,
      ad: r.ad,
      size: r.size,
      used: r.used,
      deadlineMs: r.deadline_ms,
      closing: r.closing === 1,
    }));
  }

  addLease(l: HeldLease): void {
    this.db
      .prepare('INSERT OR IGNORE INTO ads_held_leases (id, ad, size, used, deadline_ms, received_at, closing) VALUES (?, ?, ?, 0, ?, ?, 0)')
      .run(l.id, l.ad, l.size, l.deadlineMs, new Date().toISOString());
  }

  /**
   * Records what was served from each lease, and the last number given to
   * each own ad, in one transaction: this is the write that must happen before
   * a delivery is sent. `alongside` runs inside the same transaction (the
   * site's log commits the deliveries' entries there).
   */
  recordUsed(used: ReadonlyMap<string, number>, alongside: () => void = () => undefined, ownSeqs: ReadonlyMap<string, number> = new Map()): void {
    this.db.transaction(() => {
      for (const [id, n] of used) this.setUsed.run(n, id, n);
      for (const [ad, n] of ownSeqs) this.setOwnSeq.run(ad, n);
      alongside();
    })();
  }

  markClosing(id: string): void {
    this.db.prepare('UPDATE ads_held_leases SET closing = 1 WHERE id = ?').run(id);
  }

  dropLeases(ids: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM ads_held_leases WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
  }

  ads(): AdDefinition[] {
    const out: AdDefinition[] = [];
    for (const r of this.db.prepare('SELECT definition FROM ads_held_ads ORDER BY id').all() as { definition: string }[]) {
      const p = adDefinition.safeParse(JSON.parse(r.definition));
      if (p.success) out.push(p.data);
    }
    return out;
  }

  replaceAds(ads: readonly AdDefinition[]): void {
    const ins = this.db.prepare('INSERT INTO ads_held_ads (id, definition) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM ads_held_ads').run();
      for (const a of ads) ins.run(a.id, JSON.stringify(a));
    })();
  }

  /** true the first time a click id is seen. */
  openClick(jti: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO ads_held_clicks (jti, opened_at) VALUES (?, ?)').run(jti, new Date().toISOString()).changes === 1;
  }

  /** The next exchange number, written before the exchange is sent. */
  nextExchange(): number {
    this.secret();
    this.db.prepare('UPDATE ads_held_secret SET exchange_seq = exchange_seq + 1 WHERE id = 1').run();
    return (this.db.prepare('SELECT exchange_seq FROM ads_held_secret WHERE id = 1').get() as { exchange_seq: number }).exchange_seq;
  }

  secret(): Buffer {
    const row = this.db.prepare('SELECT secret FROM ads_held_secret WHERE id = 1').get() as { secret: Buffer } | undefined;
    if (row) return row.secret;
    const s = randomBytes(32);
    this.db.prepare('INSERT OR IGNORE INTO ads_held_secret (id, secret) VALUES (1, ?)').run(s);
    return this.secret();
  }
}
