import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { runCli } from './helpers/cli.js';
import { consoleSession } from './helpers/console-login.js';
import { TEST_TOKEN } from './helpers/network.js';
import { openStream } from './helpers/event-stream.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const html = async (url: string, cookie: string) => {
  const r = await request(url, { headers: { cookie, accept: 'text/html' } });
  assert.equal(r.statusCode, 200, url);
  return r.body.text();
};

describe('walkthrough 13: sync targets, live next push, last contact, pushes that wait for a starting partner', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let cookie: string;
  const main = () => net.main.url;

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }], { pushStartGraceSeconds: 60 });
    // A coordination peer (a delivery service): enrolled without contract terms, so it carries no tie-up pages.
    net.main.ctx.peers.add({ id: 'courier', role: 'partner', baseUrl: 'http://127.0.0.1:9', displayName: 'delivery service', ackedKid: null, keys: [] });
    await api(main(), 'POST', '/admin/api/releases', { note: 'first' });
    cookie = await consoleSession(main(), '/admin', 'operator');
  });
  after(async () => {
    await net?.close();
  });

  it('lists only partners that take tie-up pages as push targets; a peer without sync terms is named apart, and "push all" leaves it out', async () => {
    const page = await html(`${main()}/admin/sync`, cookie);
    assert.match(page, /<tr data-partner="north">/);
    assert.doesNotMatch(page, /<tr data-partner="courier">/, 'no row, so no push buttons, for the delivery service');
    assert.doesNotMatch(page, /action="\/admin\/sync\/push\/courier"/);
    assert.match(page, /Not push targets[^<]*<a href="\/admin\/partners\/courier"><code>courier<\/code><\/a> \(delivery service\)/);
    // The live fragment (what live.js puts in place) says the same.
    const frag = await html(`${main()}/admin/sync/live/partners`, cookie);
    assert.doesNotMatch(frag, /data-partner="courier"/);
    assert.match(frag, /Not push targets/);
    const all = await api(main(), 'POST', '/admin/api/push', { all: true });
    assert.equal(all.status, 200);
    assert.deepEqual(
      (all.body.results as { partner: string }[]).map((r) => r.partner),
      ['north'],
    );
    assert.equal(net.main.sync.sync.deliveries('courier', 5).length, 0, 'nothing was attempted for courier');
    // The API and the CLI list the same targets, and name the peer apart.
    const status = await api(main(), 'GET', '/admin/api/sync');
    assert.deepEqual(
      (status.body.partners as { id: string }[]).map((p) => p.id),
      ['north'],
    );
    assert.deepEqual(status.body.withoutSync, [{ id: 'courier', name: 'delivery service' }]);
    const cli = await runCli(['sync', 'status', '--url', main(), '--token', TEST_TOKEN]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^north /m);
    assert.doesNotMatch(cli.stdout, /^courier /m);
    // The partners list says the same of the peer's contract.
    const list = await html(`${main()}/admin/partners`, cookie);
    assert.match(/<tr data-partner="courier">[\s\S]*?<\/tr>/.exec(list)![0], /none \(takes no tie-up pages\)/);
    assert.doesNotMatch(/<tr data-partner="north">[\s\S]*?<\/tr>/.exec(list)![0], /takes no tie-up pages/);
    assert.match(cli.stdout, /not push targets \(no sync terms, no tie-up pages\): courier \(delivery service\)/);
  });

  it('records the last authenticated s2s contact on both sides (not only an explicit hello), and the partner page shows it', async () => {
    assert.equal(net.main.ctx.peers.get('north')!.lastHello, null, 'no hello was run');
    const contact = net.main.ctx.peers.get('north')!.lastContact;
    assert.ok(contact, 'the push answered by north is a contact');
    assert.ok(Date.now() - Date.parse(contact.at) < 60_000);
    // North's side: the main site's signed calls (or the answers to its own).
    const back = net.partners.north!.ctx.peers.get('main')!.lastContact;
    assert.ok(back && Date.now() - Date.parse(back.at) < 60_000, 'north recorded its contact with the main site too');
    const detail = await html(`${main()}/admin/partners/north`, cookie);
    const shown = /<dt>Last authenticated contact<\/dt><dd class="last-contact">([\s\S]*?)<\/dd>/.exec(detail)?.[1] ?? '';
    assert.match(shown, /<time datetime="[^"]+"/, 'a time, not "never"');
    assert.match(detail, /<dt>Last hello check<\/dt><dd class="last-hello"><span class="muted">never run/);
    // The API says it too.
    assert.equal((await api(main(), 'GET', '/admin/api/partners/north')).body.lastContact.at, net.main.ctx.peers.get('north')!.lastContact!.at);
    assert.equal((await api(main(), 'GET', '/admin/api/partners/courier')).body.lastContact, null);
  });

  it('within the start grace, a scheduled push waits for a partner that does not answer yet, and goes once it does (no failed attempt)', async () => {
    const before = net.main.sync.sync.deliveries('north', 50).length;
    let release = 0;
    await net.restartPartner('north', async () => {
      // The schedule starts while north is down, as when the main site starts before its partners (the demo).
      assert.equal((await api(main(), 'PATCH', '/admin/api/partners/north', { contract: { sync: { partnershipType: 'content', schedule: '*/2 * * * * *' } } })).status, 200);
      net.write('pages/about.md', pageText('About us', 'WHILE-NORTH-WAS-DOWN'));
      release = (await api(main(), 'POST', '/admin/api/releases', { note: 'while north was down' })).body.release.number as number;
      // Several scheduled runs while north is not listening.
      await sleep(4500);
      const during = net.main.sync.sync.deliveries('north', 50);
      assert.equal(during.length, before, `no attempt while north did not answer: ${JSON.stringify(during.slice(0, 3))}`);
    });
    const end = Date.now() + 15000;
    while (net.main.sync.sync.get('north').activeRelease !== release) {
      assert.ok(Date.now() < end, 'north got the release once it answered');
      await sleep(100);
    }
    const all = net.main.sync.sync.deliveries('north', 50);
    const rows = all.slice(0, all.length - before);
    assert.deepEqual(
      rows.filter((d) => d.outcome === 'failed'),
      [],
    );
    assert.equal(rows[0]!.trigger, 'schedule');
  });
  it('the live sync page gets the next push time after each scheduled run, even one that had nothing to push', async () => {
    // Scheduled every 2 s since the test above.
    const first = net.main.sync.scheduler.nextRun('north');
    assert.ok(first);
    const s = await openStream(`${main()}/admin/events`, cookie);
    try {
      await s.waitFor((f) => f.event === 'sync' && !!f.data?.kinds.includes('schedule') && f.data.subjects.includes('north'), 6000);
    } finally {
      s.close();
    }
    // North already holds the latest release: the run pushed nothing (no delivery row), yet the shown time moved on.
    const frag = await html(`${main()}/admin/sync/live/partners`, cookie);
    const row = /<tr data-partner="north">[\s\S]*?<\/tr>/.exec(frag)![0];
    const times = [...row.matchAll(/<time datetime="([^"]+)"/g)].map((m) => Date.parse(m[1]!));
    const next = net.main.sync.scheduler.nextRun('north')!;
    assert.ok(Date.parse(next) > Date.parse(first), 'the schedule moved on');
    assert.ok(times.includes(Date.parse(next)), `the fragment shows the new next push ${next}`);
  });
});
