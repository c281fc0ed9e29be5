import assert from 'node:assert/strict';
import { describe, it, before, after } from 'mocha';
import type { PlanRequest } from '../common/coord/index.js';
import { profile, startCoordNetwork, type CoordNetwork } from './helpers/coord.js';
import { runCli } from './helpers/cli.js';
import { TEST_TOKEN } from './helpers/network.js';

const flour = (price: number) => ({ id: 'flour-1kg', product: 'Mill flour', components: ['flour'], packSize: { quantity: 1, unit: 'kg' }, packLabel: 'bag', price, stock: 20 });
const eggs = { id: 'eggs-6', product: 'Free-range eggs', components: ['eggs'], packSize: { quantity: 6, unit: 'each' }, packLabel: 'box', price: 280, stock: 10 };
const request: PlanRequest = {
  currency: 'EUR',
  components: [
    { name: 'flour', quantity: 300, unit: 'g', optional: false, alternatives: [] },
    { name: 'eggs', quantity: 2, unit: 'each', optional: false, alternatives: [] },
  ],
};

describe('coord quotes: every supplier asked at once, with a deadline', function () {
  this.timeout(60_000);
  let net: CoordNetwork;

  before(async () => {
    net = await startCoordNetwork({
      central: profile('Central stock', [flour(150)]),
      partners: { north: profile('North', [flour(120), eggs]) },
      grocers: {
        grocer: profile('Grocer', [eggs], { answerDelayMs: 0 }),
        slowpoke: profile('Slowpoke', [flour(10)], { answerDelayMs: 1500 }),
      },
      main: { coordQuoteDeadlineMs: 400 },
    });
  });
  after(async () => net?.close());

  it('a supplier answering after the deadline is named and left out; the others are used, and nobody waits for it', async () => {
    const started = Date.now();
    const round = await net.main.coord.quote(request);
    const took = Date.now() - started;
    // Property, not a rate: the round ends before the slow supplier could have answered.
    assert.ok(took < 1500, `the round waited for the late supplier (${took} ms)`);
    assert.deepEqual(
      round.missing.map((m) => [m.supplier, m.reason]),
      [['slowpoke', 'late']],
    );
    assert.deepEqual(round.quotes.map((q) => q.supplier.id).sort(), ['grocer', 'main', 'north']);
    const north = round.quotes.find((q) => q.supplier.id === 'north')!;
    assert.deepEqual(
      north.offers.map((o) => [o.component, o.id, o.pricePerPack.amount]),
      [
        ['flour', 'flour-1kg', 120],
        ['eggs', 'eggs-6', 280],
      ],
    );
    // Answering part is fine: the grocer has eggs only.
    assert.deepEqual(
      round.quotes.find((q) => q.supplier.id === 'grocer')!.offers.map((o) => o.component),
      ['eggs'],
    );
    // The round is stored with the late supplier named, for the plan and the order.
    assert.deepEqual(
      net.main.coord.round(round.id).missing.map((m) => m.supplier),
      ['slowpoke'],
    );
  });

  it('a supplier that fails (down) is named as failed, not waited for', async () => {
    await net.grocers.grocer!.close();
    const round = await net.main.coord.quote(request);
    const failed = round.missing.find((m) => m.supplier === 'grocer');
    assert.equal(failed?.reason, 'failed');
    assert.ok(round.quotes.some((q) => q.supplier.id === 'north'));
  });

  it('tieup coord suppliers|quote|plan|orders work against the console API', async () => {
    const env = { TIEUP_TOKEN: TEST_TOKEN };
    const sup = await runCli(['coord', 'suppliers', '--url', net.main.url], env);
    assert.equal(sup.code, 0, sup.stderr);
    assert.match(sup.stdout, /supplier +main +\(central stock: Central stock\)/);
    assert.match(sup.stdout, /supplier +north/);
    assert.match(sup.stdout, /delivery +courier/);
    assert.match(sup.stdout, /settlement +payagent/);
    const q = await runCli(['coord', 'quote', '--components', '300 g flour, 2 each eggs', '--url', net.main.url], env);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /flour: Mill flour, 1 kg bag/);
    assert.match(q.stdout, /left out: slowpoke \(late/);
    const id = /^quote (\S+)/.exec(q.stdout)![1]!;
    const p = await runCli(['coord', 'plan', '--quote', id, '--priority', 'cheapest', '--url', net.main.url], env);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /300 g flour -> 1 x 1 kg bag \(700 g left over\)/);
    const bad = await runCli(['coord', 'quote', '--components', 'some flour', '--url', net.main.url], env);
    assert.equal(bad.code, 2);
    const o = await runCli(['coord', 'orders', '--url', net.main.url], env);
    assert.equal(o.code, 0, o.stderr);
  });

  it('the console API refuses a malformed quote request and changes nothing', async () => {
    const { request: http } = await import('undici');
    const r = await http(`${net.main.url}/admin/api/coord/quotes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ request: { currency: 'EUR', components: [{ name: 'flour', quantity: -1, unit: 'g' }] } }),
    });
    assert.equal(r.statusCode, 400);
    const body = (await r.body.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.match(body.error.message, /quantity/);
  });
});
