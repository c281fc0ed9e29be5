import assert from 'node:assert/strict';
import { request } from 'undici';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await request(url, { headers });
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: r.statusCode, headers: h, body: await r.body.text() };
}

const without = (h: Record<string, string>, ...names: string[]) => Object.fromEntries(Object.entries(h).filter(([k]) => !names.includes(k)));

describe('product pages before express (the fast path) answer exactly as the express route does', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const north = () => net.partners.north!;
  const fastAnswers = async () => Number(/tieup_fast_path_answers_total\{route="\/shop\/product\/:id",site="north"\} (\d+)/.exec(await (await fetch(`${north().url}/metrics`)).text())?.[1] ?? 0);
  const lastEntries = (n: number) => {
    north().ctx.log.flush();
    const size = north().ctx.log.size;
    return north()
      .ctx.logStore.lines(size - n, size)
      .map((l) => {
        const { prev: _p, index: _i, time: _t, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
  };

  before(async () => {
    net = await startSyncNetwork([{ id: 'north', look: { siteName: 'North Outfitters', colours: { primary: '#1f7a4d' } } }]);
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' });
    await api(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    await north().shop.refreshFromMain();
  });
  after(() => net.close());

  it('same status, body, headers (helmet included), ETag and log entry for a shopper with a cart', async () => {
    const url = `${north().url}/shop/product/tent-2p`;
    const first = await get(url);
    const cart = /tieup_north_cart=([^;]+)/.exec(first.headers['set-cookie']!)![1]!;
    const before = await fastAnswers();
    const fast = await get(url, { cookie: `tieup_north_cart=${cart}`, 'user-agent': 'Mozilla/5.0 test' });
    assert.equal(await fastAnswers(), before + 1, 'the fast path answered');
    // A (stale) shopper-session cookie sends the request through express, which finds no session: the same anonymous shopper.
    const slow = await get(url, { cookie: `tieup_north_cart=${cart}; tieup_north_shop=stale`, 'user-agent': 'Mozilla/5.0 test' });
    assert.equal(await fastAnswers(), before + 1, 'express answered');
    assert.equal(fast.status, 200);
    assert.equal(slow.status, 200);
    assert.equal(fast.body, slow.body);
    assert.deepEqual(without(fast.headers, 'date'), without(slow.headers, 'date'));
    assert.match(fast.headers['content-security-policy']!, /default-src 'self'/);
    assert.equal(fast.headers['x-content-type-options'], 'nosniff');
    const [a, b] = lastEntries(2);
    assert.deepEqual(a, b);
    assert.equal(a!.kind, 'tie-up');
    assert.equal(a!.path, '/shop/product/tent-2p');
    assert.match(String(a!.session), /^[0-9a-f]{16}$/);

    const fast304 = await get(url, { cookie: `tieup_north_cart=${cart}`, 'if-none-match': fast.headers.etag! });
    const slow304 = await get(url, { cookie: `tieup_north_cart=${cart}; tieup_north_shop=stale`, 'if-none-match': fast.headers.etag! });
    assert.equal(fast304.status, 304);
    assert.deepEqual(without(fast304.headers, 'date'), without(slow304.headers, 'date'));
    const [c, d] = lastEntries(2);
    assert.deepEqual(c, d);
    assert.equal(c!.status, 304);
    assert.equal(c!.bytes, 0);
    // "Cache-Control: no-cache" on the request means "do not answer 304", on both paths.
    assert.equal((await get(url, { cookie: `tieup_north_cart=${cart}`, 'if-none-match': fast.headers.etag!, 'cache-control': 'no-cache' })).status, 200);
  });

  it('a first visit gets a cart cookie of the same shape on both paths; other requests go to express', async () => {
    const url = `${north().url}/shop/product/mug-ti`;
    const fast = await get(url);
    const slow = await get(url, { cookie: 'tieup_north_shop=stale' });
    const shape = (h: string) => h.replace(/tieup_north_cart=[^;]+/, 'tieup_north_cart=X');
    assert.equal(shape(fast.headers['set-cookie']!), shape(slow.headers['set-cookie']!));
    assert.deepEqual(Object.keys(without(fast.headers, 'date', 'etag', 'set-cookie')).sort(), Object.keys(without(slow.headers, 'date', 'etag', 'set-cookie')).sort());
    const before = await fastAnswers();
    assert.equal((await get(`${north().url}/shop/product/no-such-product`, { accept: 'text/html' })).status, 404);
    assert.equal((await request(url, { method: 'HEAD' })).statusCode, 200);
    assert.equal(await fastAnswers(), before, "unknown products and HEAD requests are express's");
  });
});
