import assert from 'node:assert/strict';
import supertest from 'supertest';
import { api, getPage, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { TEST_PASSWORD } from './helpers/network.js';

const DAY = 86400_000;
/** A Wednesday noon (UTC): the latest window is the 7 days before it, the window before that the 7 days before those. */
const NOW = new Date('2026-11-18T12:00:00.000Z');
/** `days` days before NOW, at hh:mm UTC. */
const at = (days: number, hh: number, mm: number) => {
  const d = new Date(NOW.getTime() - days * DAY);
  d.setUTCHours(hh, mm, 0, 0);
  return d;
};
const slotOf = (d: Date) => `${d.getUTCDay()}/${d.getUTCHours() * 60}`;

describe('paid content: rankings and banners from the access history', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let n = 0;

  /** A key as the service records it, issued at a chosen time, through the real store. */
  const key = (partner: string, item: string, when: Date, chargeType: 'per_access' | 'per_period' = 'per_access', amount = 0) => {
    const id = `k${String(++n).padStart(21, '0')}`;
    net.main.paid.store.insertKey({
      id,
      partner,
      userId: `member-${n % 5}`,
      item,
      idempotencyKey: `history-idempotency-${n}`,
      requestHash: 'h',
      token: `t${id}`,
      address: '127.0.0.1',
      issuedAt: when.toISOString(),
      expiresAt: new Date(when.getTime() + 6 * 3600_000).toISOString(),
      chargeType,
      amount,
      currency: 'EUR',
      subscriptionId: chargeType === 'per_period' ? 'sub' : null,
      boundAddress: null,
      firstUsedAt: null,
    });
  };
  const keys = (count: number, partner: string, item: string, when: Date, amount: number) => {
    for (let i = 0; i < count; i++) key(partner, item, new Date(when.getTime() + i * 60_000), 'per_access', amount);
  };

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }], { paidRankingRefreshSeconds: 86400, paidLowAccesses: 3, paidFallingPercent: 50 });
    net.write(
      'paid/ridge-maps/item.json',
      JSON.stringify({
        id: 'ridge-maps',
        title: 'Ridge maps',
        supplier: 'fernhill-press',
        category: 'guides',
        charge: { type: 'per_access', price: { amount: 200, currency: 'EUR' } },
        addressPolicy: 'none',
        partners: 'all',
      }),
    );
    net.write('paid/ridge-maps/entry.md', '---\ntitle: Ridge maps\n---\n# Ridge maps\n');
    net.write('paid/ridge-maps/pages/index.md', '# Maps\n');
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'ridge maps' })).status, 201);
    for (const p of ['north', 'south']) assert.equal((await api(net.main.url, 'POST', `/admin/api/partners/${p}/push`, {})).body.outcome, 'active');

    // The latest window (the 7 days before NOW).
    keys(2, 'north', 'trail-guide', at(2, 9, 10), 300); // slot A: 2 sales, 600
    keys(2, 'north', 'ridge-maps', at(2, 9, 30), 200); // slot A: 2 sales, 400 (same count: the amount decides)
    keys(3, 'north', 'ridge-maps', at(3, 20, 15), 200); // slot B
    keys(4, 'north', 'trail-guide', at(5, 3, 0), 300); // slot E
    keys(1, 'north', 'ridge-maps', at(5, 3, 30), 200); // slot E
    keys(2, 'south', 'summit-bets', at(4, 15, 5), 100); // south's only sales
    for (let i = 0; i < 4; i++) key('north', 'weather-letter', at(1, 10, i), 'per_period'); // readings, not sales
    net.main.paid.store.insertSubscription({
      partner: 'north',
      id: 'history-subscription-0001',
      userId: 'member-1',
      item: 'weather-letter',
      periodStart: at(1, 22, 10).toISOString(),
      periodEnd: at(-29, 22, 10).toISOString(),
      amount: 500,
      currency: 'EUR',
      createdAt: at(1, 22, 10).toISOString(),
    }); // slot F: a sale
    // The window before it.
    keys(10, 'north', 'summit-bets', at(9, 7, 0), 100); // slot G
    keys(20, 'north', 'trail-guide', at(10, 7, 0), 300); // slot H
    keys(6, 'north', 'ridge-maps', at(11, 7, 0), 200); // slot I
    for (let i = 0; i < 4; i++) key('north', 'weather-letter', at(12, 10, i), 'per_period');
    net.main.paid.rankings.refresh(NOW);
  });
  after(() => net.close());

  it('ranks items by accesses in the window, overall and per category; equal accesses rank by item id', async () => {
    const r = (await api(net.main.url, 'GET', '/admin/api/paid/rankings')).body;
    assert.equal(r.generatedAt, NOW.toISOString());
    const lines = (ls: { rank: number; item: string; accesses: number }[]) => ls.map((l) => `${l.rank} ${l.item} ${l.accesses}`);
    // ridge-maps 2+3+1 = 6 and trail-guide 2+4 = 6: a tie, broken by id; weather-letter's period keys count as readings.
    assert.deepEqual(lines(r.overall), ['1 ridge-maps 6', '2 trail-guide 6', '3 weather-letter 4', '4 summit-bets 2']);
    assert.deepEqual(
      r.categories.map((c: { category: string; lines: never[] }) => [c.category, lines(c.lines)]),
      [
        ['betting', ['1 summit-bets 2']],
        ['guides', ['1 ridge-maps 6', '2 trail-guide 6']],
        ['weather', ['1 weather-letter 4']],
      ],
    );
  });

  it('flags items with low or falling accesses for replacement, with the numbers the rule read', async () => {
    const r = (await api(net.main.url, 'GET', '/admin/api/paid/rankings')).body;
    // summit-bets: 2 < 3 (low) and 10 -> 2 (falling); trail-guide: 20 -> 6, a fall of 70 % >= 50 %; ridge-maps 6 -> 6 and weather-letter 4 -> 4 are not flagged.
    assert.deepEqual(
      r.flags.map((f: { item: string; current: number; previous: number; low: boolean; falling: boolean }) => [f.item, f.current, f.previous, f.low, f.falling]),
      [
        ['summit-bets', 2, 10, true, true],
        ['trail-guide', 6, 20, false, true],
      ],
    );
  });

  it("chooses each partner's banner per weekday and slot from its members' sales there, with the reason", async () => {
    const r = (await api(net.main.url, 'GET', '/admin/api/paid/rankings')).body;
    type Slot = { weekday: number; start: number; item: string; basis: string; sales: number; amount: number; candidates: { item: string; sales: number; amount: number }[] };
    const north: Slot[] = r.banners.find((b: { partner: string }) => b.partner === 'north').slots;
    const south: Slot[] = r.banners.find((b: { partner: string }) => b.partner === 'south').slots;
    assert.equal(north.length, 7 * 24);
    const inSlots = Object.fromEntries(north.filter((s) => s.basis === 'slot').map((s) => [`${s.weekday}/${s.start}`, [s.item, s.sales, s.amount]]));
    assert.deepEqual(inSlots, {
      [slotOf(at(2, 9, 0))]: ['trail-guide', 2, 600],
      [slotOf(at(3, 20, 0))]: ['ridge-maps', 3, 600],
      [slotOf(at(5, 3, 0))]: ['trail-guide', 4, 1200],
      [slotOf(at(1, 22, 0))]: ['weather-letter', 1, 500],
      [slotOf(at(9, 7, 0))]: ['summit-bets', 10, 1000],
      [slotOf(at(10, 7, 0))]: ['trail-guide', 20, 6000],
      [slotOf(at(11, 7, 0))]: ['ridge-maps', 6, 1200],
    });
    // The numbers behind slot A's choice: the same count, the amount decided.
    const a = north.find((s) => `${s.weekday}/${s.start}` === slotOf(at(2, 9, 0)))!;
    assert.deepEqual(
      a.candidates.map((c) => [c.item, c.sales, c.amount]),
      [
        ['trail-guide', 2, 600],
        ['ridge-maps', 2, 400],
      ],
    );
    // Every other slot: north's most sold item over the lookback (trail-guide 2+4+20).
    const other = north.filter((s) => s.basis !== 'slot');
    assert.ok(other.every((s) => s.basis === 'partner' && s.item === 'trail-guide' && s.sales === 26));
    // South sold summit-bets only; trail-guide is not yet on sale there, so never its banner.
    assert.ok(south.every((s) => s.item === 'summit-bets'));
    assert.equal(south.filter((s) => s.basis === 'slot').length, 1);
    // The operator's page shows the same choices with their reasons.
    const agent = supertest.agent(net.main.url);
    const login = await agent.get('/admin/login').expect(200);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(login.text)![1], username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const page = await agent.get('/admin/paid/rankings').expect(200);
    assert.match(page.text, new RegExp(`data-partner="north" data-slot="${slotOf(at(2, 9, 0))}" data-item="trail-guide"[^]*?most sales in this slot: 2`));
    assert.match(page.text, /data-partner="north" data-slot="other" data-item="trail-guide"/);
    assert.match(page.text, /data-flag="summit-bets"/);
  });

  it("a partner's home shows its banner for the current slot and the rankings, in its own look, linking to its own entry pages", async () => {
    // Sales in the slot the partner is in now (a week ago, the same weekday and hour): more ridge-maps than any slot of the history above.
    const now = new Date();
    keys(25, 'north', 'ridge-maps', new Date(now.getTime() - 7 * DAY), 200);
    const before = await getPage(north().url, '/');
    assert.doesNotMatch(before.text, /paid-banner/);
    net.main.paid.rankings.refresh(now);
    await north().paid.rankings.refresh();
    const home = await getPage(north().url, '/');
    assert.equal(home.status, 200);
    const banner = /<aside class="paid-banner" data-item="([^"]+)"><a href="([^"]+)">/.exec(home.text);
    assert.ok(banner, home.text.slice(0, 2000));
    const expected = net.main.paid.rankings.bannerAt('north', new Date());
    assert.equal(banner[1], expected!.item);
    // A slot boundary passed between the two lines would choose the lookback's best instead; otherwise the slot's.
    if (expected!.basis === 'slot') assert.equal(banner[1], 'ridge-maps');
    assert.equal(banner[2], `/paid/${banner[1]}`);
    assert.match(home.text, /<section class="paid-rankings"/);
    assert.match(home.text, /<li data-item="ridge-maps" data-rank="1"><a href="\/paid\/ridge-maps">Ridge maps<\/a>/);
    // The partner's own layout and stylesheet around it.
    assert.match(home.text, /<link rel="stylesheet" href="\/assets\/brand.css">/);
    // trail-guide is not yet on sale at south: never its banner there.
    await south().paid.rankings.refresh();
    const southHome = await getPage(south().url, '/');
    assert.doesNotMatch(southHome.text, /paid-banner" data-item="trail-guide"/);
    // The rankings page on every site.
    assert.match((await getPage(north().url, '/paid/rankings')).text, /paid-ranking-category" data-category="guides"/);
    assert.match((await getPage(net.main.url, '/paid/rankings')).text, /<li data-item="ridge-maps" data-rank="1">Ridge maps/);
  });

  const north = () => net.partners.north!;
  const south = () => net.partners.south!;
});
