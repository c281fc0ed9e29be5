import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { encodeEntry, entryLeaf, ZERO_HASH, type EntryFields } from '../common/logchain/entry.js';
import { defineEntryType, EntryRefused, EntryTypes, v1Payload } from '../common/logchain/entry-types.js';
import { generateSiteKeys } from '../common/keys/keystore.js';
import { defineModule } from '../common/module.js';
import { startHostedSite, type HostedSite } from '../common/site/host.js';
import { cancelEntry, orderEntry, refundEntry } from '../common/shop/log-entries.js';
import { pageEntry } from '../common/sync/log-entries.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { fakeView } from './helpers/log-bundle.js';
import { siteConfig, tempDir } from './helpers/network.js';

const order = { id: 'NORTH-000001', amount: 4990, currency: 'EUR' };
/** One entry of each of today's types, as their writers make them. */
const TODAY: EntryFields[] = [
  {
    time: '2026-11-21T13:42:57.432Z',
    site: 'north',
    type: 'page',
    path: '/about',
    kind: 'tie-up',
    release: 3,
    status: 200,
    bytes: 1874,
    user: null,
    session: null,
    client: '127.0.0.0/24',
    ua: 'bot',
    order: null,
  },
  {
    time: '2026-11-21T13:43:10.007Z',
    site: 'north',
    type: 'order',
    path: '/checkout',
    kind: 'tie-up',
    release: 3,
    status: 201,
    bytes: 0,
    user: 'u-7f3a',
    session: 's-91c2',
    client: '10.0.4.0/24',
    ua: 'browser',
    order,
  },
  {
    time: '2026-11-22T08:00:00.000Z',
    site: 'north',
    type: 'cancel',
    path: '/orders/NORTH-000001',
    kind: 'tie-up',
    release: 4,
    status: 200,
    bytes: 0,
    user: 'u-7f3a',
    session: null,
    client: null,
    ua: 'other',
    order,
  },
  {
    time: '2026-11-23T09:30:00.000Z',
    site: 'north',
    type: 'refund',
    path: '/account',
    kind: 'original',
    release: null,
    status: 200,
    bytes: 0,
    user: 'u-7f3a',
    session: 's-0001',
    client: '2001:db8:1::/48',
    ua: 'mobile',
    order: { id: 'NORTH-000002', amount: 1250, currency: 'JPY' },
  },
];
/** Their canonical v1 lines, chained from entry 0, and leaf hashes: computed before entry types existed, and never to change by one byte. */
const GOLDEN = [
  {
    line: '{"v":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","index":0,"time":"2026-11-21T13:42:57.432Z","site":"north","type":"page","path":"/about","kind":"tie-up","release":3,"status":200,"bytes":1874,"user":null,"session":null,"client":"127.0.0.0/24","ua":"bot","order":null}',
    leaf: 'f98aea98015d7da2a5382ca0b8b50ed87f4881a8227d5177eebe9c96cc384545',
  },
  {
    line: '{"v":1,"prev":"f98aea98015d7da2a5382ca0b8b50ed87f4881a8227d5177eebe9c96cc384545","index":1,"time":"2026-11-21T13:43:10.007Z","site":"north","type":"order","path":"/checkout","kind":"tie-up","release":3,"status":201,"bytes":0,"user":"u-7f3a","session":"s-91c2","client":"10.0.4.0/24","ua":"browser","order":{"id":"NORTH-000001","amount":4990,"currency":"EUR"}}',
    leaf: '243fc7e15918c6d35800904440f785d43ae843609dfa63a87023c81d883de5f6',
  },
  {
    line: '{"v":1,"prev":"243fc7e15918c6d35800904440f785d43ae843609dfa63a87023c81d883de5f6","index":2,"time":"2026-11-22T08:00:00.000Z","site":"north","type":"cancel","path":"/orders/NORTH-000001","kind":"tie-up","release":4,"status":200,"bytes":0,"user":"u-7f3a","session":null,"client":null,"ua":"other","order":{"id":"NORTH-000001","amount":4990,"currency":"EUR"}}',
    leaf: 'dcf07079062a9716f4b1d4fbe556103fadcc90df3ecd3a21b41b374ed8333377',
  },
  {
    line: '{"v":1,"prev":"dcf07079062a9716f4b1d4fbe556103fadcc90df3ecd3a21b41b374ed8333377","index":3,"time":"2026-11-23T09:30:00.000Z","site":"north","type":"refund","path":"/account","kind":"original","release":null,"status":200,"bytes":0,"user":"u-7f3a","session":"s-0001","client":"2001:db8:1::/48","ua":"mobile","order":{"id":"NORTH-000002","amount":1250,"currency":"JPY"}}',
    leaf: '5904fa68ca8a79e5bf9372fe83ad426e520e2ba4bc25276c14c3bfb8be70e99a',
  },
];

/** A new capability's type, for the tests: an ad view, page-shaped, on the v1 envelope (a sample module beside the real ads module, which writes "ad" on partners). */
const adView = defineEntryType({ type: 'ad_view', version: 1, capability: 'ads', payload: v1Payload({ kind: z.enum(['tie-up', 'original']), order: z.null() }) });
const adsModule = defineModule({ name: 'ads-sample', logEntryTypes: [adView], create: () => ({}) });

describe('access-log entry types: registered by the modules that write them, checked at append', () => {
  let dir: string;
  let north: HostedSite;
  before(async () => {
    dir = tempDir('tieup-entry-types-');
    await generateSiteKeys(join(dir, 'keys'), 'north');
    north = await startHostedSite(siteConfig('partner', 'north', dir), { ...PARTNER_SITE, modules: [...PARTNER_SITE.modules, adsModule] }, { defaultMetrics: false });
  });
  after(async () => {
    await north.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("today's types keep their v1 bytes: one golden line per type, encoded and appended through the registry", () => {
    let prev = ZERO_HASH;
    TODAY.forEach((f, i) => {
      const line = encodeEntry(prev, i, f);
      assert.equal(line, GOLDEN[i]!.line, `the ${f.type} line changed`);
      prev = entryLeaf(line).toString('hex');
      assert.equal(prev, GOLDEN[i]!.leaf);
    });
    const log = north.ctx.log;
    assert.equal(log.size + log.pendingCount, 0, 'a fresh log');
    for (const f of TODAY) log.append(f);
    log.flush();
    assert.deepEqual(
      north.ctx.logStore.lines(0, 4),
      GOLDEN.map((g) => g.line),
    );
    assert.equal(log.leaf(3).toString('hex'), GOLDEN[3]!.leaf);
  });

  it("each site registers its modules' types at start: page from sync, shop, paid and coord, order, cancel and refund from shop", () => {
    const types = north.ctx.log.types.list();
    assert.deepEqual(
      types.map((t) => [t.type, t.version, t.capability, t.writers.join(',')]),
      [
        ['ad', 1, 'ads', 'ads'],
        ['ad_view', 1, 'ads', 'ads-sample'],
        ['cancel', 1, 'shop', 'shop'],
        ['charge', 1, 'paid', 'paid'],
        ['order', 1, 'shop', 'shop'],
        ['page', 1, 'sync', 'sync,shop,paid,coord'],
        ['refund', 1, 'shop', 'shop'],
      ],
    );
    for (const def of [MAIN_SITE, PARTNER_SITE]) {
      const registry = new EntryTypes();
      for (const m of def.modules) for (const t of m.logEntryTypes ?? []) registry.register(t, m.name);
      assert.deepEqual(
        registry.list().map((t) => t.type),
        def.role === 'main'
          ? [
              'ad',
              'ad_view',
              'cancel',
              'key_issued',
              'order',
              'page',
              'paid_page',
              'paid_refused',
              'planned_accept',
              'planned_access',
              'planned_contract',
              'planned_payout',
              'planned_refund',
              'planned_sale',
              'refund',
              'subscribed',
              'unsubscribed',
            ]
          : ['ad', 'cancel', 'charge', 'order', 'page', 'refund'],
        `${def.role} site`,
      );
    }
    assert.equal(north.ctx.log.types.get('page'), pageEntry);
    assert.deepEqual(
      [orderEntry, cancelEntry, refundEntry].map((t) => north.ctx.log.types.get(t.type)),
      [orderEntry, cancelEntry, refundEntry],
    );
  });

  it("a module's own type is accepted, on the v1 envelope", () => {
    const log = north.ctx.log;
    const i = log.append({ ...fakeView('north'), type: 'ad_view', path: '/ads/tent-banner' });
    log.flush();
    const line = north.ctx.logStore.lines(i, i + 1)[0]!;
    assert.match(line, /^\{"v":1,"prev":"[0-9a-f]{64}","index":\d+,"time":"[^"]+","site":"north","type":"ad_view","path":"\/ads\/tent-banner",/);
  });

  it('an unknown type or a payload its schema refuses throws at append, and nothing is written: same size, no hole in the index', () => {
    const log = north.ctx.log;
    log.flush();
    const size = log.size;
    const view = fakeView('north');
    const refused: [string, EntryFields, 'unknown_type' | 'bad_entry'][] = [
      ['an unregistered type', { ...view, type: 'coupon' }, 'unknown_type'],
      ['a page with an order', { ...view, order }, 'bad_entry'],
      ['an order without one', { ...view, type: 'order', order: null }, 'bad_entry'],
      ['an order of a miss', { ...view, type: 'order', kind: 'none', order }, 'bad_entry'],
      ['an order in fractions of a cent', { ...view, type: 'order', order: { ...order, amount: 49.9 } }, 'bad_entry'],
      ['a currency that is not ISO 4217', { ...view, type: 'order', order: { ...order, currency: 'euro' } }, 'bad_entry'],
      ['a status that is not HTTP', { ...view, status: 42 }, 'bad_entry'],
      ['bytes that are not a number', { ...view, bytes: Number.NaN }, 'bad_entry'],
      ['a path longer than the writer keeps', { ...view, path: `/${'x'.repeat(600)}` }, 'bad_entry'],
      ['an unknown kind', { ...view, kind: 'draft' as EntryFields['kind'] }, 'bad_entry'],
      ['a field outside the v1 block', { ...view, referrer: 'https://example.org/' } as EntryFields, 'bad_entry'],
      ['a time not as the log writes it', { ...view, time: '2026-11-01 10:00' }, 'bad_entry'],
      ['another site', { ...view, site: 'south' }, 'bad_entry'],
      ['an ad view of an asset', { ...view, type: 'ad_view', kind: 'asset' }, 'bad_entry'],
    ];
    for (const [what, fields, code] of refused) {
      assert.throws(
        () => log.append(fields),
        (err: unknown) => err instanceof EntryRefused && err.code === code,
        what,
      );
      assert.equal(log.pendingCount, 0, `${what}: something was queued`);
    }
    log.flush();
    assert.equal(log.size, size, 'the log grew');
    // The next entry takes the next index: no hole where the refused ones were.
    const next = log.append(view);
    log.flush();
    assert.equal(next, size);
    const [prevLine, line] = north.ctx.logStore.lines(size - 1, size + 1);
    assert.ok(line!.includes(`"prev":"${entryLeaf(prevLine!).toString('hex')}","index":${size},`));
  });

  it('one definition per type name; a type whose payload does not fit the v1 block is refused at definition', () => {
    const registry = new EntryTypes();
    registry.register(pageEntry, 'sync');
    registry.register(pageEntry, 'shop');
    const impostor = defineEntryType({ type: 'page', version: 1, capability: 'ads', payload: v1Payload({}) });
    assert.throws(() => registry.register(impostor, 'ads'), /two definitions of log entry type "page"/);
    assert.throws(() => defineEntryType({ type: 'quota', version: 1, capability: 'ads', payload: z.object({ quota: z.number() }).strict() }), /needs envelope v2/);
    assert.throws(() => defineEntryType({ type: 'Ad View', version: 1, capability: 'ads', payload: v1Payload({}) }), /lowercase/);
  });
});
