import { randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite.js';

export interface CartItem {
  productId: string;
  qty: number;
}

export interface CartRecord {
  items: CartItem[];
  checkoutKey: string | null;
}

export class CartStore {
  private readonly q;
  constructor(private readonly db: Db) {
    this.q = {
      get: db.prepare<[string], { items_json: string; checkout_key: string | null }>('SELECT items_json, checkout_key FROM carts WHERE id_hash = ?'),
      put: db.prepare(
        `INSERT INTO carts (id_hash, items_json, checkout_key, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id_hash) DO UPDATE SET items_json = excluded.items_json, checkout_key = excluded.checkout_key, updated_at = excluded.updated_at`,
      ),
      prune: db.prepare('DELETE FROM carts WHERE updated_at < ?'),
      secret: db.prepare<[string], { value: string }>('SELECT value FROM site_secrets WHERE name = ?'),
      addSecret: db.prepare('INSERT OR IGNORE INTO site_secrets (name, value) VALUES (?, ?)'),
    };
  }
  get(idHash: string): CartRecord {
    const r = this.q.get.get(idHash);
    return r ? { items: JSON.parse(r.items_json) as CartItem[], checkoutKey: r.checkout_key } : { items: [], checkoutKey: null };
  }
  put(idHash: string, cart: CartRecord): void {
    this.q.put.run(idHash, JSON.stringify(cart.items), cart.checkoutKey, new Date().toISOString());
  }
  /** Carts untouched for a long time are forgotten. */
  prune(olderThan: Date): number {
    return this.q.prune.run(olderThan.toISOString()).changes;
  }
  /** A random secret generated once per site and kept in its database. */
  secret(name: string): Buffer {
    this.q.addSecret.run(name, randomBytes(32).toString('base64url'));
    return Buffer.from(this.q.secret.get(name)!.value, 'base64url');
  }
}
