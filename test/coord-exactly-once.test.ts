import assert from 'node:assert/strict';
import { describe, it, before, after } from 'mocha';
import type { PlanRequest } from '../common/coord/index.js';
import { profile, startCoordNetwork, until, type CoordNetwork } from './helpers/coord.js';
import { startTamperProxy } from './helpers/tamper-proxy.js';

/**
 * Exactly once when answers are lost: the supplier and the settlement agent
 * act, but their answers never reach the main site (the connection is cut after
 * the peer answered). The coordinator sends the same step again with the same
 * idempotency key, and each peer answers what it answered first: one order at
 * the supplier, one capture at the agent.
 */
describe('coord exactly once: lost answers are sent again with the same key and change nothing twice', function () {
  this.timeout(60_000);
  let net: CoordNetwork;
  const proxies: { close(): Promise<void> }[] = [];
  const dropped = new Set<string>();

  before(async () => {
    net = await startCoordNetwork({
      partners: { north: profile('North', [{ id: 'flour-1kg', product: 'Mill flour', components: ['flour'], packSize: { quantity: 1, unit: 'kg' }, packLabel: 'bag', price: 120, stock: 20 }]) },
      via: async (id, url) => {
        // Lose the first answer of each order placement and capture: the peer has acted, the main site does not know.
        const p = await startTamperProxy(url, (u, path) => {
          const key = `${id} ${path}`;
          if ((path === '/s2s/coord/orders' || path === '/s2s/coord/settlement/capture') && !dropped.has(key)) {
            dropped.add(key);
            return 'drop';
          }
          return u;
        });
        proxies.push(p);
        return p.url;
      },
    });
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await net?.close();
  });

  it('one order at the supplier and one capture at the settlement agent, though each answer was lost once', async () => {
    const coord = net.main.coord;
    const request: PlanRequest = { currency: 'EUR', components: [{ name: 'flour', quantity: 300, unit: 'g', optional: false, alternatives: [] }] };
    const round = await coord.quote(request);
    const g = await coord.order('user-lost', {
      idempotencyKey: 'lost-answers-0000000001',
      quoteSetId: round.id,
      priorities: { order: ['cheapest'] },
      choices: [{ supplier: 'north', fulfilment: 'pickup', payment: 'electronic' }],
      contact: { name: 'Ada Shopper' },
    });
    const orderId = g.orders[0]!.id;
    assert.ok(dropped.has('north /s2s/coord/orders'), 'the first answer was lost');
    // The sweep sends the placement again with the same key; the supplier answers it as a replay.
    await until(() => coord.store.step(`${orderId}-place`)?.state === 'done', 10_000, 'placement answered');
    assert.equal(JSON.parse(coord.store.step(`${orderId}-place`)!.answer!).replayed, true);
    assert.equal(net.partners.north!.coord.orders().filter((o) => o.orderId === orderId).length, 1);

    net.partners.north!.coord.decide(orderId, 'accepted', undefined, 'test');
    await until(() => coord.store.step(`${orderId}-capture`)?.state === 'done', 10_000, 'capture answered');
    assert.ok(dropped.has('payagent /s2s/coord/settlement/capture'));
    const auth = net.settlement.settlement.store.list().find((a) => a.ops.some((op) => op.part === orderId))!;
    assert.equal(auth.ops.filter((op) => op.kind === 'capture').length, 1, 'captured once');
    assert.equal(auth.auth.captured, g.orders[0]!.part.total.amount);
    assert.equal(coord.view(coord.store.group(g.id)!).state, 'accepted');
  });
});
