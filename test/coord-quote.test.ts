import assert from 'node:assert/strict';
import { describe, it, before, after } from 'mocha';
import type { PlanRequest } from '../common/coord/index.js';
import { profile, startCoordNetwork, type CoordNetwork } from './helpers/coord.js';

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

  it('the console API refuses a malformed quote request and changes nothing', async () => {
    const { request: http } = await import('undici');
    const r = await http(`${net.main.url}/admin/api/coord/quotes`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token-0123456789abcdef', 'content-type': 'application/json' },
      body: JSON.stringify({ request: { currency: 'EUR', components: [{ name: 'flour', quantity: -1, unit: 'g' }] } }),
    });
    assert.equal(r.statusCode, 400);
    const body = (await r.body.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.match(body.error.message, /quantity/);
  });
});
