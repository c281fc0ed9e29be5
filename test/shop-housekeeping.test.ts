import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { COMMON_MIGRATIONS } from '../common/site/context.js';
import { CartStore } from '../common/shop/cart-store.js';
import { shopFrontMigrations } from '../common/shop/index.js';
import { sharedUserMigrations } from '../common/users/index.js';
import { ShopperSessionStore } from '../common/users/shopper-session-store.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { tempDir } from './helpers/network.js';

describe('shop housekeeping: old carts and expired shopper sessions go, recent ones stay', () => {
  it('prunes by age and expiry, and keeps the site secret stable', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'site.sqlite'));
    try {
      runMigrations(db, [COMMON_MIGRATIONS, ...shopFrontMigrations, ...sharedUserMigrations]);
      const carts = new CartStore(db);
      carts.put('old', { items: [{ productId: 'a', qty: 1 }], checkoutKey: null });
      db.prepare("UPDATE carts SET updated_at = '2020-01-01T00:00:00.000Z' WHERE id_hash = 'old'").run();
      carts.put('new', { items: [{ productId: 'b', qty: 2 }], checkoutKey: 'k' });
      assert.equal(carts.prune(new Date(Date.now() - 30 * 86400_000)), 1);
      assert.deepEqual(carts.get('old'), { items: [], checkoutKey: null });
      assert.deepEqual(carts.get('new'), { items: [{ productId: 'b', qty: 2 }], checkoutKey: 'k' });
      assert.ok(carts.secret('cart-csrf').equals(carts.secret('cart-csrf')), 'generated once, then read back');
      assert.equal(carts.secret('cart-csrf').length, 32);

      const sessions = new ShopperSessionStore(db);
      sessions.create('gone', { userId: 'u', email: 'e', name: 'n', csrfToken: 't' }, new Date(Date.now() - 1000));
      sessions.create('kept', { userId: 'u', email: 'e', name: 'n', csrfToken: 't' }, new Date(Date.now() + 60_000));
      assert.equal(sessions.purgeExpired(), 1);
      assert.equal(sessions.get('gone'), undefined);
      assert.equal(sessions.get('kept')?.userId, 'u');
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
