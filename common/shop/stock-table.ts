import type { Db } from '../store/sqlite.js';

/** Thrown inside an order's transaction when a line cannot be had; the transaction then changes nothing. */
export class OutOfStock extends Error {
  constructor(readonly productId: string) {
    super(`out of stock: ${productId}`);
    this.name = 'OutOfStock';
  }
}

/**
 * Units on hand per product: the main site's central stock ("stock") and a
 * partner's own ("local_stock") have the same shape and rules. take() only
 * succeeds when enough is there, so it is safe inside an order's transaction.
 */
export class StockTable {
  private readonly q;
  constructor(
    private readonly db: Db,
    table: 'stock' | 'local_stock',
  ) {
    this.q = {
      seed: db.prepare(`INSERT OR IGNORE INTO ${table} (product_id, on_hand, updated_at) VALUES (?, ?, ?)`),
      get: db.prepare<[string], { on_hand: number }>(`SELECT on_hand FROM ${table} WHERE product_id = ?`),
      all: db.prepare<[], { product_id: string; on_hand: number }>(`SELECT product_id, on_hand FROM ${table}`),
      set: db.prepare(`INSERT INTO ${table} (product_id, on_hand, updated_at) VALUES (?, ?, ?) ON CONFLICT (product_id) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at`),
      take: db.prepare(`UPDATE ${table} SET on_hand = on_hand - ?, updated_at = ? WHERE product_id = ? AND on_hand >= ?`),
      give: db.prepare(`UPDATE ${table} SET on_hand = on_hand + ?, updated_at = ? WHERE product_id = ?`),
    };
  }

  /** Products seen for the first time get their initial stock; known products keep theirs. */
  seed(items: { productId: string; initial: number }[]): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const i of items) this.q.seed.run(i.productId, i.initial, now);
    })();
  }
  of(productId: string): number | null {
    return this.q.get.get(productId)?.on_hand ?? null;
  }
  all(): Record<string, number> {
    return Object.fromEntries(this.q.all.all().map((r) => [r.product_id, r.on_hand]));
  }
  set(productId: string, onHand: number): void {
    this.q.set.run(productId, onHand, new Date().toISOString());
  }
  /** Takes every line or throws OutOfStock; call inside the order's transaction. */
  takeAll(lines: { productId: string; qty: number }[], now: string): void {
    for (const l of lines) if (this.q.take.run(l.qty, now, l.productId, l.qty).changes !== 1) throw new OutOfStock(l.productId);
  }
  giveBack(lines: { productId: string; qty: number }[], now: string): void {
    for (const l of lines) this.q.give.run(l.qty, now, l.productId);
  }
}
