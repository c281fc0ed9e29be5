import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHOP_ORDER_PLACE } from '../common/protocol/index.js';
import { api, getPage, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { ADDRESS, Shopper } from './helpers/shopper.js';

type CallError = { details?: { status?: number; peerCode?: string; body?: { error?: { code?: string; message?: string } } } };
const refusedWith = (status: number, code: string) => (err: CallError) => {
  assert.equal(err.details?.status, status, JSON.stringify(err.details?.body));
  assert.equal(err.details?.body?.error?.code, code);
  return true;
};

/**
 * Issue 12, item 5: a partner's well-signed body must not hurt anyone else.
 * Its reports are parsed strictly (shape, release numbers), what it says about
 * its own pages can only hold back pushes to itself, and an order it entrusts
 * carries the contact details of the shopper's account, not the partner's.
 */
describe("hostile partner: one partner's well-signed bodies cannot block or rewrite anyone else's data", function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const main = () => net.main.url;
  const north = () => net.partners.north!;
  const south = () => net.partners.south!;
  const syncRow = async (id: string) => ((await api(main(), 'GET', '/admin/api/sync')).body.partners as { id: string }[]).find((p) => p.id === id) as Record<string, unknown>;

  before(async () => {
    net = await startSyncNetwork([
      { id: 'north', contract: { shop: { handling: { default: 'entrust' } } } },
      { id: 'south', originals: { 'local-news.md': '# South news\n' } },
    ]);
    assert.equal((await api(main(), 'POST', '/admin/api/releases', { note: 'first' })).status, 201);
    for (const id of ['north', 'south']) assert.equal((await api(main(), 'POST', `/admin/api/partners/${id}/push`, {})).body.outcome, 'active');
  });
  after(() => net.close());

  it("a sync report carrying originalPaths (a non-array, or the main site's paths) is 400 invalid_body and records nothing", async () => {
    const before = await syncRow('north');
    const serving = { activeRelease: 1, expectedRoot: null, servingRoot: null, emergencyEdits: 0 };
    for (const originalPaths of ['/about', { '/': true }, ['/', '/about', '/products'], ['/local-news']]) {
      await assert.rejects(north().ctx.client.call('main', 'POST', '/s2s/sync/report', { event: 'rollback', release: 1, by: 'mallory', ...serving, originalPaths }), refusedWith(400, 'invalid_body'));
    }
    const after = await syncRow('north');
    assert.deepEqual(after.originalPaths, before.originalPaths);
    assert.deepEqual(net.main.sync.sync.get('north').originalPaths, []);
    assert.deepEqual(
      net.main.sync.sync.events('north', 100).filter((e) => e.kind === 'rollback'),
      [],
    );
  });

  it('release numbers in reports and decisions are positive safe integers: -5.5, 0, "1", 2^53 are refused and never stored as active', async () => {
    const serving = { expectedRoot: null, servingRoot: null, emergencyEdits: 0 };
    for (const release of [-5.5, 0, -1, 1.5, '1', 2 ** 53, null]) {
      await assert.rejects(
        north().ctx.client.call('main', 'POST', '/s2s/sync/report', { event: 'rollback', release, by: 'mallory', activeRelease: release, ...serving }),
        refusedWith(400, 'invalid_body'),
      );
      await assert.rejects(
        north().ctx.client.call('main', 'POST', '/s2s/sync/decision', { decision: 'approved', release, by: 'mallory', activeRelease: release, ...serving }),
        refusedWith(400, 'invalid_body'),
      );
    }
    // Counts too: emergency edits are a non-negative integer.
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/sync/report', { event: 'rollback', release: 1, by: 'mallory', activeRelease: 1, expectedRoot: null, servingRoot: null, emergencyEdits: -1 }),
      refusedWith(400, 'invalid_body'),
    );
    assert.equal((await syncRow('north')).activeRelease, 1);
  });

  it("ids in a partner's bodies are bounded tokens: markup, paths, empty or overlong ids are 400 invalid_body", async () => {
    for (const id of ['<script>', '../etc/passwd', '', 'x'.repeat(65), 'a b']) {
      await assert.rejects(north().ctx.client.call('main', 'POST', '/s2s/shop/orders/status', { ids: [id] }), refusedWith(400, 'invalid_body'));
    }
    await assert.rejects(north().ctx.client.call('main', 'POST', '/s2s/shop/orders/status', { ids: Array.from({ length: 501 }, (_, i) => `id-${i}`) }), refusedWith(400, 'invalid_body'));
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/shop/orders', {
        idempotencyKey: 'hostile-ids-0123456789',
        user: { id: '<img src=x>', email: 'ada@example.org' },
        lines: [{ productId: 'mat-foam', qty: 1 }],
        settlement: 'pickup',
        address: null,
      }),
      refusedWith(400, 'invalid_body'),
    );
    // Counts: a line's quantity is a positive integer within the cart's bound.
    for (const qty of [0, -1, 1.5, 100, '1']) {
      await assert.rejects(
        north().ctx.client.call('main', 'POST', '/s2s/shop/orders', {
          idempotencyKey: 'hostile-ids-0123456789',
          user: { id: 'someone', email: 'ada@example.org' },
          lines: [{ productId: 'mat-foam', qty }],
          settlement: 'pickup',
          address: null,
        }),
        refusedWith(400, 'invalid_body'),
      );
    }
  });

  it("a partner whose own pages use the main site's page paths holds back only its own pushes; publishing and the other partners go on", async () => {
    // north takes "/" and "/about" for its own pages: a path list the main site's own pages collide with.
    writeFileSync(join(net.dir, 'original', 'north', 'index.md'), '# North home\n');
    writeFileSync(join(net.dir, 'original', 'north', 'about.md'), '# About north\n');
    north().sync.content.refresh();
    assert.equal((await api(main(), 'POST', '/admin/api/partners/north/check-drift', {})).status, 200);
    assert.deepEqual([...net.main.sync.sync.get('north').originalPaths].sort(), ['/', '/about']);

    net.write('pages/about.md', '# About\n\nMarker: SECOND\n');
    const pub = await api(main(), 'POST', '/admin/api/releases', { note: 'second' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    assert.deepEqual(pub.body.collisions, [{ partner: 'north', paths: ['/', '/about'] }]);

    // south is untouched by what north says about itself.
    assert.equal((await api(main(), 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'active');
    assert.match((await getPage(south().url, '/about')).text, /Marker: SECOND/);

    // north's push is refused, with the reason on the console, and north keeps serving what it had.
    const pushed = await api(main(), 'POST', '/admin/api/partners/north/push', {});
    assert.equal(pushed.status, 200);
    assert.equal(pushed.body.outcome, 'failed');
    assert.match(pushed.body.detail, /^path_collision: release 2 has tie-up page\(s\) at \/, \/about, which north uses for its own page\(s\)/);
    const row = await syncRow('north');
    assert.equal(row.failing, true);
    assert.match((row.lastPush as { detail: string }).detail, /path_collision/);
    assert.equal(north().sync.store.activeNumber(), 1);
    assert.doesNotMatch((await getPage(north().url, '/about')).text, /Marker: SECOND/);

    // A push to every partner: south is served, north alone is held back.
    const all = await api(main(), 'POST', '/admin/api/push', { all: true });
    const outcomes = Object.fromEntries((all.body.results as { partner: string; outcome: string }[]).map((r) => [r.partner, r.outcome]));
    assert.deepEqual(outcomes, { north: 'failed', south: 'noop' });

    // Once north renames its pages, its next push goes through without anyone touching the main site.
    rmSync(join(net.dir, 'original', 'north', 'index.md'));
    rmSync(join(net.dir, 'original', 'north', 'about.md'));
    north().sync.content.refresh();
    assert.equal((await api(main(), 'POST', '/admin/api/partners/north/push', {})).body.outcome, 'active');
    assert.match((await getPage(north().url, '/about')).text, /Marker: SECOND/);
  });

  it('stored original paths of another shape (written before the check existed) make no publish or push fail', async () => {
    // As an older build stored a partner's answer: a string, not a list.
    net.main.sync.sync.update('south', { originalPaths: '/about' as unknown as string[] });
    net.write('pages/about.md', '# About\n\nMarker: THIRD\n');
    const pub = await api(main(), 'POST', '/admin/api/releases', { note: 'third' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    assert.deepEqual(pub.body.collisions, []);
    for (const id of ['north', 'south']) assert.equal((await api(main(), 'POST', `/admin/api/partners/${id}/push`, {})).body.outcome, 'active', id);
    assert.equal((await api(main(), 'GET', '/admin/api/sync')).status, 200);
  });

  it("an entrusted order for a real shopper carries the account's e-mail, never the one the partner sent", async () => {
    await north().shop.refreshFromMain();
    const s = new Shopper(north().url);
    assert.equal((await s.register('ada@example.org', 'a long enough passphrase')).status, 303);
    const user = ((await api(main(), 'GET', '/admin/api/users')).body.users as { id: string; email: string }[]).find((u) => u.email === 'ada@example.org')!;
    const r = await north().ctx.client.send('main', SHOP_ORDER_PLACE, {
      idempotencyKey: 'hostile-email-0123456789',
      user: { id: user.id, email: 'mallory@evil.example' },
      lines: [{ productId: 'mat-foam', qty: 1 }],
      settlement: 'pay_on_delivery',
      address: ADDRESS,
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.order.userEmail, 'ada@example.org');
    const stored = await api(main(), 'GET', `/admin/api/orders/${r.body.order.number}`);
    assert.equal(stored.body.order.userEmail, 'ada@example.org');
    assert.equal(stored.body.order.userId, user.id);
    // An id that names no account is still refused.
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/shop/orders', {
        idempotencyKey: 'hostile-email-abcdefghij',
        user: { id: 'no-such-user', email: 'ada@example.org' },
        lines: [{ productId: 'mat-foam', qty: 1 }],
        settlement: 'pay_on_delivery',
        address: ADDRESS,
      }),
      (err: CallError) => err.details?.body?.error?.code === 'unknown_user',
    );
  });
});
