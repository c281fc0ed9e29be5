import type { Db } from '../store/sqlite.js';

export interface ShopperSession {
  userId: string;
  email: string;
  name: string;
  csrfToken: string;
}

export class ShopperSessionStore {
  private readonly q;
  constructor(db: Db) {
    this.q = {
      add: db.prepare('INSERT INTO shopper_sessions (id_hash, user_id, email, name, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare<[string, string], { user_id: string; email: string; name: string; csrf_token: string }>(
        'SELECT user_id, email, name, csrf_token FROM shopper_sessions WHERE id_hash = ? AND expires_at > ?',
      ),
      drop: db.prepare('DELETE FROM shopper_sessions WHERE id_hash = ?'),
      purge: db.prepare('DELETE FROM shopper_sessions WHERE expires_at <= ?'),
    };
  }
  create(idHash: string, s: ShopperSession, expiresAt: Date): void {
    this.q.add.run(idHash, s.userId, s.email, s.name, s.csrfToken, new Date().toISOString(), expiresAt.toISOString());
  }
  get(idHash: string): ShopperSession | undefined {
    const r = this.q.get.get(idHash, new Date().toISOString());
    return r ? { userId: r.user_id, email: r.email, name: r.name, csrfToken: r.csrf_token } : undefined;
  }
  drop(idHash: string): void {
    this.q.drop.run(idHash);
  }
  purgeExpired(): number {
    return this.q.purge.run(new Date().toISOString()).changes;
  }
}
