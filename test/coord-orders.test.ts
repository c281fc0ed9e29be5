import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'mocha';
import type { PlanRequest } from '../common/coord/index.js';
import { COORD_DECISION } from '../common/protocol/index.js';
import { peerErrorCode } from '../common/s2s/client.js';
import { AppError } from '../common/errors.js';
import { formatMoney } from '../common/money.js';
import { hashPassword } from '../common/web/password.js';
import { consoleLogin } from './helpers/console-login.js';
import { TEST_PASSWORD } from './helpers/network.js';
import { profile, startCoordNetwork, until, type CoordNetwork } from './helpers/coord.js';

const flourNorth = { id: 'flour-1kg', product: 'Mill flour', components: ['flour'], packSize: { quantity: 1, unit: 'kg' }, packLabel: 'bag', price: 120, stock: 20 };
const eggsNorth = { id: 'eggs-6', product: 'Farm eggs', components: ['eggs'], packSize: { quantity: 6, unit: 'each' }, packLabel: 'box', price: 400, stock: 10 };
const eggsGrocer = { id: 'eggs-6', product: 'Grocer eggs', components: ['eggs'], packSize: { quantity: 6, unit: 'each' }, packLabel: 'box', price: 280, stock: 10 };
const milkGrocer = { id: 'milk-1l', product: 'Milk', components: ['milk'], packSize: { quantity: 1, unit: 'l' }, packLabel: 'bottle', price: 110, stock: 10 };

const request: PlanRequest = {
  currency: 'EUR',
  components: [
    { name: 'flour', quantity: 300, unit: 'g', optional: false, alternatives: [] },
    { name: 'eggs', quantity: 2, unit: 'each', optional: false, alternatives: [] },
    { name: 'milk', quantity: 0.25, unit: 'l', optional: false, alternatives: [] },
  ],
};
const contact = { name: 'Ada Shopper', address: '7 Private Lane, Hometown', phone: '+44 20 7946 0000' };
// Pickup only: no fees, so "cheapest" splits the basket by goods prices.
const pickupCheapest = { order: ['cheapest' as const], methods: ['pickup' as const] };

async function refusedWith(p: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('coord orders: one group, one order per supplier, exactly once', function () {
  this.timeout(90_000);
  let net: CoordNetwork;

  before(async () => {
    net = await startCoordNetwork({
      partners: { north: profile('North', [flourNorth, eggsNorth]) },
      grocers: { grocer: profile('Grocer', [eggsGrocer, milkGrocer]) },
      main: { coordAcceptSeconds: 3 },
    });
  });
  after(async () => net?.close());

  it('the same order submitted twice (one after the other, and at the same time) makes one order group and one order per supplier', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(request);
    const input = { idempotencyKey: 'twice-0000000000000001', quoteSetId: round.id, priorities: pickupCheapest, contact };
    const [a, b] = await Promise.all([coord.order('user-twice', input), coord.order('user-twice', input)]);
    const c = await coord.order('user-twice', input);
    assert.equal(a.id, b.id);
    assert.equal(a.id, c.id);
    assert.equal(c.replayed, true);
    assert.equal(coord.groupsOf('user-twice').length, 1);
    assert.deepEqual(a.orders.map((o) => o.supplier).sort(), ['grocer', 'north']);
    // Each supplier received its order once.
    assert.equal(net.partners.north!.coord.orders().filter((o) => a.orders.some((x) => x.id === o.orderId)).length, 1);
    assert.equal(net.grocers.grocer!.supply.orders().filter((o) => a.orders.some((x) => x.id === o.orderId)).length, 1);
    // The same key with another body is refused; nothing new is made.
    await refusedWith(coord.order('user-twice', { ...input, contact: { ...contact, name: 'Someone Else' } }), 'idempotency_key_reused');
    assert.equal(coord.groupsOf('user-twice').length, 1);
    // Another shopper's identical key is its own group, and neither sees the other's.
    const other = await coord.order('user-other', input);
    assert.notEqual(other.id, a.id);
    assert.throws(() => coord.ownGroup('user-other', a.id), /no order group/);
  });

  it('a refusal re-plans only the missing components, from the other suppliers, with the shopper consent; the rest stands', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(request);
    const g = await coord.order('user-refusal', { idempotencyKey: 'refusal-000000000000001', quoteSetId: round.id, priorities: pickupCheapest, contact });
    const north = g.orders.find((o) => o.supplier === 'north')!;
    const grocer = g.orders.find((o) => o.supplier === 'grocer')!;
    assert.deepEqual(
      north.part.lines.map((l) => l.component),
      ['flour'],
    );
    assert.deepEqual(grocer.part.lines.map((l) => l.component).sort(), ['eggs', 'milk']);
    net.partners.north!.coord.decide(north.id, 'accepted', undefined, 'test');
    net.grocers.grocer!.supply.decide(grocer.id, 'refused', 'no eggs today', 'test');
    await until(() => coord.view(coord.store.group(g.id)!).state === 'needs_replan', 10_000, 'needs re-plan');

    // Nothing is re-ordered without the shopper: the group waits.
    const r = await coord.replan('user-refusal', g.id);
    assert.deepEqual(r.round.request.components.map((c) => c.name).sort(), ['eggs', 'milk'], 'only the refused components are asked for again');
    assert.deepEqual(r.round.request.components.map((c) => [c.name, c.quantity, c.unit]).sort(), [
      ['eggs', 2, 'each'],
      ['milk', 0.25, 'l'],
    ]);
    assert.ok(!r.round.quotes.some((q) => q.supplier.id === 'grocer'), 'the refusing supplier is not asked again');
    assert.deepEqual(
      r.plan.suppliers.map((s) => s.supplier.id),
      ['north'],
    );
    assert.deepEqual(
      r.plan.uncovered.map((u) => u.component),
      ['milk'],
      'what nobody else has stays uncovered, and says so',
    );

    const after1 = await coord.confirmReplan('user-refusal', g.id, { quoteSetId: r.round.id });
    const again = await coord.confirmReplan('user-refusal', g.id, { quoteSetId: r.round.id });
    assert.equal(again.replayed, true);
    const round2 = after1.orders.filter((o) => o.round === 2);
    assert.equal(round2.length, 1, 'consent twice orders once');
    assert.deepEqual(
      round2[0]!.part.lines.map((l) => l.component),
      ['eggs'],
    );
    // The accepted flour order is untouched; the refused one is marked replaced.
    assert.equal(after1.orders.find((o) => o.id === north.id)!.state, 'accepted');
    assert.equal(after1.orders.find((o) => o.id === grocer.id)!.replacedIn, 2);
    assert.equal(after1.state, 'waiting');
  });

  it('a supplier that does not answer in time: the order is withdrawn at the supplier and offered for re-planning', async () => {
    const coord = net.main.coord;
    const round = await coord.quote({ currency: 'EUR', components: [request.components[0]!] });
    const g = await coord.order('user-timeout', { idempotencyKey: 'timeout-000000000000001', quoteSetId: round.id, priorities: pickupCheapest, contact });
    const o = g.orders[0]!;
    await until(() => coord.store.order(o.id)!.state === 'timed_out', 15_000, 'timed out');
    await until(() => net.partners.north!.coord.view(o.id)!.state === 'withdrawn', 10_000, 'withdrawn at the supplier');
    assert.equal(coord.view(coord.store.group(g.id)!).state, 'needs_replan');
    // A late acceptance is refused and changes nothing.
    await refusedWith(coord.decide('north', { orderId: o.id, decision: 'accepted' }), 'too_late');
  });

  it('only the supplier an order was sent to can answer it', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(request);
    const g = await coord.order('user-cross', { idempotencyKey: 'cross-00000000000000001', quoteSetId: round.id, priorities: pickupCheapest, contact });
    const grocerOrder = g.orders.find((o) => o.supplier === 'grocer')!;
    try {
      await net.partners.north!.ctx.client.send('main', COORD_DECISION, { idempotencyKey: 'cross-decision-000000001', orderId: grocerOrder.id, decision: 'refused' });
      assert.fail('north answered the grocer order');
    } catch (err) {
      assert.equal(peerErrorCode(err, COORD_DECISION), 'order_not_found');
    }
    assert.equal(coord.store.order(grocerOrder.id)!.state, 'pending');
  });

  it('electronic settlement: the total is authorised, each supplier part captured on acceptance, released on refusal', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(request);
    const g = await coord.order('user-pay', {
      idempotencyKey: 'pay-0000000000000000001',
      quoteSetId: round.id,
      priorities: pickupCheapest,
      choices: [
        { supplier: 'north', payment: 'electronic' },
        { supplier: 'grocer', payment: 'electronic' },
      ],
      contact,
    });
    const north = g.orders.find((o) => o.supplier === 'north')!;
    const grocer = g.orders.find((o) => o.supplier === 'grocer')!;
    net.partners.north!.coord.decide(north.id, 'accepted', undefined, 'test');
    net.grocers.grocer!.supply.decide(grocer.id, 'refused', 'closed', 'test');
    const auth = () => net.settlement.settlement.store.list().find((x) => x.ops.some((op) => op.part === north.id));
    await until(() => (auth()?.ops.length ?? 0) === 2, 10_000, 'capture and release');
    const a = auth()!;
    assert.equal(a.auth.amount, north.part.total.amount + grocer.part.total.amount);
    assert.equal(a.auth.captured, north.part.total.amount);
    assert.equal(a.auth.released, grocer.part.total.amount);
    // The agent's own console shows money, not minor units: 24.20 EUR, never "2420 EUR".
    net.settlement.ctx.consoleStore.upsertUser('u-payagent', 'manager', await hashPassword(TEST_PASSWORD), 'manager');
    const agent = await consoleLogin(net.settlement.url, '/manage', 'manager');
    const page = (await agent.get('/manage/settlement').expect(200)).text;
    assert.ok(page.includes(formatMoney({ amount: a.auth.amount, currency: 'EUR' })), 'the authorised total in EUR');
    assert.ok(page.includes(formatMoney({ amount: a.auth.captured, currency: 'EUR' })), 'the captured part in EUR');
    assert.doesNotMatch(page, new RegExp(`>${a.auth.amount} EUR<`));
  });
});

describe('coord orders: an expired quote is re-checked at order time', function () {
  this.timeout(60_000);
  let net: CoordNetwork;

  before(async () => {
    net = await startCoordNetwork({ partners: { north: profile('North', [flourNorth], { quoteTtlSeconds: 1 }) } });
  });
  after(async () => net?.close());

  const one: PlanRequest = { currency: 'EUR', components: [request.components[0]!] };

  it('unchanged offers: the supplier is asked again, and the order goes through on the fresh quote', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(one);
    await sleep(1100);
    const before = coord.round(round.id).quotes[0]!.expiresAt;
    const g = await coord.order('user-exp', { idempotencyKey: 'expired-00000000000001', quoteSetId: round.id, priorities: pickupCheapest, contact });
    assert.equal(g.orders.length, 1);
    const afterQ = coord.round(round.id).quotes[0]!.expiresAt;
    assert.ok(Date.parse(afterQ) > Date.parse(before), 'the quote was renewed by asking again');
  });

  it('a changed price: the order is refused with quote_changed, nothing is ordered, and the new plan shows the new price', async () => {
    const coord = net.main.coord;
    const round = await coord.quote(one);
    const seen = coord.plan(round, pickupCheapest);
    assert.equal(seen.totals.goods.amount, 120);
    net.partners.north!.coord.setProfile({ ...net.partners.north!.coord.profile()!, goods: [{ ...flourNorth, price: 150 }] });
    await sleep(1100);
    const ordersBefore = net.partners.north!.coord.orders().length;
    await refusedWith(coord.order('user-exp2', { idempotencyKey: 'expired-00000000000002', quoteSetId: round.id, priorities: pickupCheapest, contact }), 'quote_changed');
    assert.equal(coord.groupsOf('user-exp2').length, 0);
    assert.equal(net.partners.north!.coord.orders().length, ordersBefore, 'the supplier received nothing');
    const now = coord.plan(coord.round(round.id), pickupCheapest, new Date());
    assert.equal(now.totals.goods.amount, 150);
  });
});
