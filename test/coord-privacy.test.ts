import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { describe, it, before, after } from 'mocha';
import { request } from 'undici';
import type { z } from 'zod';
import {
  COORD_DELIVERY_BOOK,
  COORD_DELIVERY_CANCEL,
  COORD_ORDER,
  COORD_QUOTE,
  COORD_SETTLE_AUTHORISE,
  COORD_SETTLE_CAPTURE,
  COORD_SETTLE_RELEASE,
  COORD_WITHDRAW,
  type AnyEndpoint,
} from '../common/protocol/index.js';
import type { PlanRequest } from '../common/coord/index.js';
import { profile, startCoordNetwork, until, type CoordNetwork } from './helpers/coord.js';
import supertest from 'supertest';
import { TEST_PASSWORD, TEST_TOKEN } from './helpers/network.js';

/**
 * Claim 22, checked on the wire. Each party's ALLOWED fields are written here,
 * independently of the protocol schemas, from the privacy rule:
 *   supplier    items, quantities, fulfilment method, for pickup the name to hand over to;
 *   delivery    pickup and drop-off addresses and a phone number, for cash on delivery the sum to
 *               collect at the door; no item prices or payment data;
 *   settlement  amounts and a payment reference; no items or address.
 * Two checks: (1) every request schema a party receives has no field outside
 * its set (so a schema that gains a personal field fails here, whether or not
 * a flow fills it); (2) a recording proxy in front of each peer keeps every
 * byte it received during real orders, and every body holds only allowed
 * fields, and none of the shopper's data the party may not see.
 */
const ALLOWED = {
  supplier: new Set([
    // quote requests: what is needed, nothing about who
    'requestId',
    'components[].name',
    'components[].quantity',
    'components[].unit',
    'components[].alternatives[]',
    'answerBy',
    // orders and withdrawals
    'idempotencyKey',
    'orderId',
    'lines[].offerId',
    'lines[].product',
    'lines[].packs',
    'lines[].pricePerPack.amount',
    'lines[].pricePerPack.currency',
    'fulfilment.method',
    'fulfilment.optionId',
    'payment',
    'pickupName',
    'respondBy',
    'reason',
  ]),
  // For cash on delivery the courier also gets the one sum it collects at the door: not personal, and no item or item price.
  delivery: new Set(['idempotencyKey', 'reference', 'pickup.name', 'pickup.address', 'dropoff.name', 'dropoff.address', 'dropoff.phone', 'collect.amount', 'collect.currency']),
  settlement: new Set(['idempotencyKey', 'paymentRef', 'authorisationId', 'part', 'amount.amount', 'amount.currency']),
} as const;
type Party = keyof typeof ALLOWED;

const RECEIVES: Record<Party, AnyEndpoint[]> = {
  supplier: [COORD_QUOTE, COORD_ORDER, COORD_WITHDRAW],
  delivery: [COORD_DELIVERY_BOOK, COORD_DELIVERY_CANCEL],
  settlement: [COORD_SETTLE_AUTHORISE, COORD_SETTLE_CAPTURE, COORD_SETTLE_RELEASE],
};

/** Every leaf field a schema can carry, as "a.b[].c". */
function schemaFields(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.entries(shape).flatMap(([k, v]) => schemaFields(v, prefix ? `${prefix}.${k}` : k));
    }
    case 'array':
      return schemaFields(def.element as z.ZodType, `${prefix}[]`);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return schemaFields(def.innerType as z.ZodType, prefix);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((o) => schemaFields(o, prefix));
    case 'pipe':
      return schemaFields(def.in as z.ZodType, prefix);
    case 'record':
      return [`${prefix}{}`];
    default:
      return [prefix];
  }
}

/** Every leaf field a JSON value holds, as "a.b[].c". */
function valueFields(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => valueFields(x, `${prefix}[]`));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => valueFields(x, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

interface Capture {
  party: string;
  path: string;
  bytes: Buffer;
}

/** A recording proxy on loopback: forwards each request to the peer unchanged and keeps the bytes it received. */
async function recordingProxy(party: string, target: string, log: Capture[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const bytes = Buffer.concat(chunks);
        log.push({ party, path: req.url ?? '', bytes });
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection' && k !== 'content-length')) as Record<string, string>;
        const up = await request(target + (req.url ?? ''), { method: req.method as 'POST', headers, body: bytes.length ? bytes : undefined });
        const body = Buffer.from(await up.body.arrayBuffer());
        const out = Object.fromEntries(Object.entries(up.headers).filter(([k]) => k !== 'connection' && k !== 'transfer-encoding' && k !== 'keep-alive'));
        res.writeHead(up.statusCode, out);
        res.end(body);
      })().catch(() => res.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, server };
}

const SHOPPER = { name: 'Ada Shopper', address: '7 Private Lane, Hometown', phone: '+44 20 7946 0000' };
const request1: PlanRequest = {
  currency: 'EUR',
  components: [
    { name: 'flour', quantity: 300, unit: 'g', optional: false, alternatives: [] },
    { name: 'eggs', quantity: 2, unit: 'each', optional: false, alternatives: [] },
  ],
};

describe('coord privacy: each party receives only the fields its part needs', function () {
  this.timeout(90_000);
  let net: CoordNetwork;
  const log: Capture[] = [];
  const servers: Server[] = [];
  const roleOf: Record<string, Party> = { north: 'supplier', grocer: 'supplier', courier: 'delivery', payagent: 'settlement' };

  before(async () => {
    net = await startCoordNetwork({
      partners: { north: profile('North', [{ id: 'flour-1kg', product: 'Mill flour', components: ['flour'], packSize: { quantity: 1, unit: 'kg' }, packLabel: 'bag', price: 120, stock: 20 }]) },
      grocers: { grocer: profile('Grocer', [{ id: 'eggs-6', product: 'Eggs', components: ['eggs'], packSize: { quantity: 6, unit: 'each' }, packLabel: 'box', price: 280, stock: 10 }]) },
      via: async (id, url) => {
        const p = await recordingProxy(id, url, log);
        servers.push(p.server);
        return p.url;
      },
    });
  });
  after(async () => {
    for (const s of servers) s.close();
    await net?.close();
  });

  for (const [party, endpoints] of Object.entries(RECEIVES) as [Party, AnyEndpoint[]][]) {
    it(`no request schema sent to the ${party} can carry a field outside its allowed set`, () => {
      for (const e of endpoints) {
        const extra = schemaFields(e.request as z.ZodType).filter((f) => !ALLOWED[party].has(f));
        assert.deepEqual(extra, [], `${e.name} carries fields the ${party} may not receive`);
      }
    });
  }

  it('every byte each party received in real orders holds only its allowed fields, and the operator console shows exactly those bytes', async () => {
    const coord = net.main.coord;
    const user = 'user-privacy-1';
    // Order 1: delivery from north, paid electronically; pickup at the grocer, cash on hand-over. Both accepted.
    const round = await coord.quote(request1);
    const group = await coord.order(user, {
      idempotencyKey: 'privacy-order-0000000001',
      quoteSetId: round.id,
      priorities: { order: ['cheapest'] },
      choices: [
        { supplier: 'north', fulfilment: 'delivery', payment: 'electronic' },
        { supplier: 'grocer', fulfilment: 'pickup', payment: 'cash_on_delivery' },
      ],
      contact: SHOPPER,
    });
    assert.equal(group.orders.length, 2);
    for (const o of group.orders) {
      const site = o.supplier === 'north' ? net.partners.north!.coord : net.grocers.grocer!.supply;
      site.decide(o.id, 'accepted', undefined, 'test');
    }
    await until(() => coord.view(coord.store.group(group.id)!).state === 'accepted', 10_000, 'both accepted');
    await until(() => coord.store.steps(group.id).every((s) => s.state === 'done'), 10_000, 'every step answered');
    // Order 2: refused, so the electronic part is released.
    const round2 = await coord.quote({ currency: 'EUR', components: [request1.components[0]!] });
    const g2 = await coord.order(user, {
      idempotencyKey: 'privacy-order-0000000002',
      quoteSetId: round2.id,
      priorities: { order: ['cheapest'] },
      choices: [{ supplier: 'north', fulfilment: 'delivery', payment: 'electronic' }],
      contact: SHOPPER,
    });
    net.partners.north!.coord.decide(g2.orders[0]!.id, 'refused', 'out of stock', 'test');
    await until(() => coord.store.steps(g2.id).some((s) => s.idempotencyKey.endsWith('-release') && s.state === 'done'), 10_000, 'release');

    // Order 3: delivery from the grocer, cash on delivery: the courier is told the one sum to collect at the door.
    const round3 = await coord.quote({ currency: 'EUR', components: [request1.components[1]!] });
    const g3 = await coord.order(user, {
      idempotencyKey: 'privacy-order-0000000003',
      quoteSetId: round3.id,
      priorities: { order: ['cheapest'] },
      choices: [{ supplier: 'grocer', fulfilment: 'delivery', payment: 'cash_on_delivery' }],
      contact: SHOPPER,
    });
    net.grocers.grocer!.supply.decide(g3.orders[0]!.id, 'accepted', undefined, 'test');
    await until(() => coord.store.steps(g3.id).some((s) => s.idempotencyKey.endsWith('-delivery') && s.state === 'done'), 10_000, 'cash delivery booked');

    const received = log.filter((c) => c.path.startsWith('/s2s/coord/'));
    const bookings = received.filter((c) => c.path === '/s2s/coord/deliveries').map((c) => JSON.parse(c.bytes.toString('utf8')) as { reference: string; collect?: unknown });
    const paid = bookings.find((b) => group.orders.some((o) => o.id === b.reference));
    const cash = bookings.find((b) => b.reference === g3.orders[0]!.id);
    assert.ok(paid && !('collect' in paid), 'a part paid electronically: nothing to collect');
    assert.deepEqual(cash?.collect, g3.orders[0]!.part.total, 'cash on delivery: the part total (goods and delivery fee), nothing per item');
    assert.equal(g3.orders[0]!.part.total.amount, 280 + 300);
    const parties = new Set(received.map((c) => c.party));
    assert.deepEqual([...parties].sort(), ['courier', 'grocer', 'north', 'payagent'], 'every kind of party received something');
    for (const c of received) {
      const party = roleOf[c.party]!;
      const body = JSON.parse(c.bytes.toString('utf8')) as Record<string, unknown>;
      const outside = valueFields(body).filter((f) => !ALLOWED[party].has(f));
      assert.deepEqual(outside, [], `${c.party} received fields outside the ${party} set at ${c.path}`);
      const text = c.bytes.toString('utf8');
      // What the shopper told the main site reaches only the party that needs it.
      if (party !== 'delivery') {
        assert.ok(!text.includes(SHOPPER.address), `${c.party} received the address`);
        assert.ok(!text.includes(SHOPPER.phone), `${c.party} received the phone number`);
      }
      if (party === 'settlement') assert.ok(!text.includes(SHOPPER.name), 'the settlement agent received the name');
      if (party === 'supplier' && text.includes(SHOPPER.name))
        assert.equal(body.fulfilment && (body.fulfilment as { method: string }).method, 'pickup', `${c.party} received the name for a delivery order`);
      assert.ok(!text.includes(user), `${c.party} received the shopper's id`);
    }
    // The delivery service got the address and phone (it needs them), and the grocer (pickup) the name.
    assert.ok(received.some((c) => c.party === 'courier' && c.bytes.toString().includes(SHOPPER.address) && c.bytes.toString().includes(SHOPPER.phone)));
    assert.ok(received.some((c) => c.party === 'grocer' && c.bytes.toString().includes(SHOPPER.name)));

    // The operator's console shows, per order, exactly the bytes each party was sent.
    const { request: http } = await import('undici');
    const r = await http(`${net.main.url}/admin/api/coord/groups/${group.id}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const shown = (await r.body.json()) as { steps: { party: string; body: string; idempotencyKey: string }[] };
    assert.ok(shown.steps.length >= 4);
    for (const s of shown.steps) {
      const wire = received.find((c) => c.party === s.party && c.bytes.toString('utf8') === s.body);
      assert.ok(wire, `the console's record of ${s.idempotencyKey} is not what ${s.party} received`);
    }
    // And the console pages show it to the operator (logged in).
    const agent = supertest.agent(net.main.url);
    const form = await agent.get('/admin/login').expect(200);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!, username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const list = await agent.get('/admin/coord').expect(200);
    assert.match(list.text, new RegExp(`data-group="${group.id}"`));
    const detail = await agent.get(`/admin/coord/groups/${group.id}`).expect(200);
    for (const s of shown.steps) assert.ok(detail.text.includes(`data-step="${s.idempotencyKey}"`), s.idempotencyKey);
    assert.ok(detail.text.includes(SHOPPER.address), 'the delivery booking, as sent, is on the page');
    await agent.get('/admin/coord/supply').expect(200);
  });
});
