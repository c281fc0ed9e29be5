import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adDeliveryOf } from '../common/ads/index.js';
import { parseFeeContract } from '../common/fees/contract.js';
import { computeStatement } from '../common/fees/engine.js';
import { usageFromBundle } from '../common/fees/usage-from-bundle.js';
import { decodeEntry } from '../common/logchain/entry.js';
import { countsModule } from '../main-site/counts/index.js';
import { adsModule, type MainAds } from '../main-site/ads/index.js';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { ADS_FAST, adOn, closeAgent, testAd } from './helpers/ads-network.js';
import { consoleLogin } from './helpers/console-login.js';
import { fetchBundle } from './helpers/log-bundle.js';
import { enrolPair, startSite, tempDir, TEST_TOKEN } from './helpers/network.js';

const OWN = 'ad-north-repairs';
const MAIN = 'ad-main';
const CONTRACT = {
  currency: 'EUR',
  timeZone: 'UTC',
  versions: [{ effectiveFrom: '2020-01-01', terms: { baseFee: { link: 1000, template: 2000, content: 3000 }, ads: { mainAdCreditPerThousand: 1000, ownAdFeePerThousand: 2000 } } }],
};

interface OwnStatus {
  own: { ad: { id: string }; deliveries: number; refused: string | null }[];
  ownProblems: { file: string; problem: string }[];
}

/** The `ad` entries of a site's bundle as exported by the main site (paths), in log order. */
const adPaths = (bundle: string): string[] =>
  bundle
    .split('\n')
    .filter((l) => l.startsWith('{"v":1'))
    .map((l) => decodeEntry(l))
    .filter((e) => e?.type === 'ad')
    .map((e) => e!.path);

describe('ads: a partner’s own ads, from files in its original-pages folder, after the main site’s advertisers’', function () {
  this.timeout(120_000);
  let dir: string;
  let orig: string;
  let main: RunningMain;
  let north: RunningPartner;
  let ads: MainAds;
  // Leases stay put for the whole file: whether the main ad shows on "/" must not hang on a lease coming back in time.
  const cfg = { ...ADS_FAST, adsIdleReturnMs: 600_000, adsLeaseTtlMs: 600_000 };
  const startNorth = async (port = 0) => (north = await startSite('partner', 'north', dir, { ...cfg, originalDir: orig, port }));
  const manage = async (): Promise<OwnStatus> => {
    const r = await fetch(`${north.url}/manage/api/ads`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(r.status, 200);
    return (await r.json()) as OwnStatus;
  };
  const writeAd = (name: string, body: unknown) => writeFileSync(join(orig, 'ads', name), typeof body === 'string' ? body : JSON.stringify(body));
  const ownFile = { id: OWN, title: 'Tent repairs at North Outfitters', text: 'Torn tent? We patch it.', creative: { kind: 'html', html: '<p>Tent repairs</p>' }, keywords: ['repairs'] };

  before(async () => {
    dir = tempDir('tieup-ads-own-');
    orig = join(dir, 'orig-north');
    mkdirSync(join(orig, 'ads'), { recursive: true });
    writeFileSync(join(orig, 'index.md'), '# North\n\nTents and trail gear.\n');
    writeFileSync(join(orig, 'local-news.md'), '# Local news\n\nThe harbour market opens on Saturday.\n');
    writeAd(`${OWN}.json`, ownFile);
    main = await startSite('main', 'main', dir, cfg);
    await startNorth();
    await enrolPair(dir, main, north);
    ads = main.use(adsModule);
    const advertiser = main.portal.invite({ email: 'ads@advertiser.test', kind: 'advertiser', displayName: 'Trail Gear Ltd' }, 'test').party.id;
    // The main site's ad shows only on "/": "/local-news" has no eligible main ad.
    ads.create({ advertiser, ad: testAd(MAIN, { target: { pages: ['/'] }, points: 0 }), paidCount: 1000, price: { amount: 100, currency: 'EUR' } }, 'test');
    ads.pay({ payment: 'own-1', ad: MAIN, amount: 100, currency: 'EUR' }, 'operator', 'test');
    const put = await fetch(`${main.url}/admin/api/partners/north/fee-contract`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(CONTRACT),
    });
    assert.equal(put.status, 200, await put.text());
  });

  after(async () => {
    await Promise.all([main?.close(), north?.close()]);
    await closeAgent();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the own ad where no main ad is eligible, and the main ad where it is; the own ad has no points link', async () => {
    // North serves "/" from a lease once its exchange got one; until then a slot may fall back to the own ad.
    for (let i = 0; (await adOn(north.url, '/')) !== MAIN; i++) {
      if (i > 100) throw new Error('the main ad never showed on north');
      await sleep(50);
    }
    for (let i = 0; i < 5; i++) assert.equal(await adOn(north.url, '/'), MAIN, 'a main-site ad with quota comes first');
    for (let i = 0; i < 5; i++) assert.equal(await adOn(north.url, '/local-news'), OWN);
    const html = await (await fetch(`${north.url}/local-news`, { headers: { accept: 'text/html' } })).text();
    assert.match(html, /data-ad="ad-north-repairs"/);
    assert.doesNotMatch(html, /\/ads\/open\//, 'no single-use points link for an own ad');
    assert.doesNotMatch(html, /earn \d+ points/);
    assert.match(html, /Tent repairs at North Outfitters/);
    const st = await manage();
    assert.deepEqual(
      st.own.map((o) => [o.ad.id, o.refused]),
      [[OWN, null]],
    );
    assert.ok(st.own[0]!.deliveries >= 5);
    assert.deepEqual(st.ownProblems, []);
  });

  it('refuses a malformed file, points, target.sites, a wrong name and a main-site ad’s id, each reported; the rest still served', async () => {
    writeAd('ad-broken.json', '{"id": "ad-broken", "title": ');
    writeAd('ad-bad-schema.json', { ...ownFile, id: 'ad-bad-schema', title: 5 });
    writeAd('ad-pointy.json', { ...ownFile, id: 'ad-pointy', points: 10 });
    writeAd('ad-sited.json', { ...ownFile, id: 'ad-sited', target: { sites: ['south'] } });
    writeAd('ad-misnamed.json', { ...ownFile, id: 'ad-other' });
    writeAd(`${MAIN}.json`, { ...ownFile, id: MAIN });
    const st = await manage();
    const why = Object.fromEntries(st.ownProblems.map((p) => [p.file, p.problem]));
    assert.match(why['ads/ad-broken.json'] ?? '', /not JSON/);
    assert.match(why['ads/ad-bad-schema.json'] ?? '', /^title: /);
    assert.match(why['ads/ad-pointy.json'] ?? '', /points must be 0/);
    assert.match(why['ads/ad-sited.json'] ?? '', /target\.sites/);
    assert.match(why['ads/ad-misnamed.json'] ?? '', /not the file's name/);
    assert.match(why[`ads/${MAIN}.json`] ?? '', /main site runs an ad with the id ad-main/);
    assert.equal(st.ownProblems.length, 6);
    assert.deepEqual(
      st.own.map((o) => o.ad.id),
      [OWN],
      'only the good file is served',
    );
    // The manager's page shows the same, problems and all.
    const page = await (await consoleLogin(north.url, '/manage', 'manager')).get('/manage/ads').expect(200);
    assert.match(page.text, /id="own-ads"[\s\S]*data-own-ad="ad-north-repairs"/);
    assert.match(page.text, /id="own-ad-problems"[\s\S]*ads\/ad-pointy\.json<\/code>: points must be 0/);
    for (let i = 0; i < 3; i++) assert.equal(await adOn(north.url, '/local-news'), OWN);
    assert.equal(await adOn(north.url, '/'), MAIN);
    for (const f of ['ad-broken', 'ad-bad-schema', 'ad-pointy', 'ad-sited', 'ad-misnamed', MAIN]) rmSync(join(orig, 'ads', `${f}.json`));
    assert.deepEqual((await manage()).ownProblems, []);
  });

  it('names each delivery /ads/<id>/own/<n>, n never reused across a restart; the main ad’s count is not touched by own deliveries', async () => {
    const port = Number(new URL(north.url).port);
    await north.close();
    await startNorth(port);
    for (let i = 0; i < 4; i++) assert.equal(await adOn(north.url, '/local-news'), OWN);
    // An own delivery that (by a bug or a hand-made file elsewhere) carried the main ad's id is still not the main ad's delivery.
    north.ctx.log.append({
      time: new Date().toISOString(),
      site: 'north',
      type: 'ad',
      path: `/ads/${MAIN}/own/1`,
      kind: 'none',
      release: null,
      status: 200,
      bytes: 0,
      user: null,
      session: '/local-news',
      client: null,
      ua: 'browser',
      order: null,
    });
    north.ctx.log.flush();
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).error, undefined);
    const bundle = await fetchBundle(main.url, 'north');
    const paths = adPaths(bundle);
    const own = paths.filter((p) => p.startsWith(`/ads/${OWN}/own/`)).map((p) => adDeliveryOf(p)!.seq);
    assert.ok(own.length >= 13, `own deliveries before and after the restart: ${own.length}`);
    assert.deepEqual(
      own,
      own.map((_, i) => i + 1),
      'numbered 1..n in order, none twice, the restart going on after the last',
    );
    const mainDeliveries = paths.filter((p) => p.startsWith(`/ads/${MAIN}/`) && !p.includes('/own/')).length;
    assert.ok(mainDeliveries >= 6);
    assert.equal((await manage()).own[0]!.deliveries, own.length, 'the console counts the own entries');

    const counts = main.use(countsModule);
    let countOf = () => counts.overview().find((o) => o.key === `ad:${MAIN}`)?.count;
    for (let i = 0; countOf() !== mainDeliveries && i < 100; i++) await sleep(50);
    assert.equal(countOf(), mainDeliveries, 'ad:ad-main counts only deliveries from the main site’s leases');
    countOf = () => counts.overview().find((o) => o.key === `ad:${OWN}`)?.count;
    assert.equal(countOf(), undefined, 'an own ad is no counted item of the main site');
  });

  it('puts ads.main and ads.own in north’s statement, and a bundle recomputed offline gives the same', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const r = await fetch(`${main.url}/admin/api/fees/statements/north/${period}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(r.status, 200);
    const stored = (await r.json()) as { checkpoint: { size: number }; lines: { code: string; amount: number; inputs: Record<string, number> }[] };
    const bundle = await fetchBundle(main.url, 'north');
    const paths = adPaths(bundle);
    const ownN = paths.filter((p) => p.includes('/own/')).length;
    const mainN = paths.length - ownN;
    const line = (s: { lines: { code: string; amount: number; inputs: Record<string, unknown> }[] }, code: string) => s.lines.find((l) => l.code === code)!;
    assert.equal(line(stored, 'ads.own').inputs.ownAds, ownN);
    assert.equal(line(stored, 'ads.main').inputs.mainAds, mainN);
    assert.ok(ownN > 0 && mainN > 0);
    assert.equal(line(stored, 'ads.own').amount, Math.round((ownN * 2000) / 1000));

    const usage = usageFromBundle(bundle, period, 'UTC', stored.checkpoint.size);
    assert.deepEqual(usage.ads, { mainAds: mainN, ownAds: ownN });
    const mine = computeStatement(parseFeeContract({ ...CONTRACT, partner: 'north' }), usage, 'content');
    for (const code of ['ads.main', 'ads.own']) assert.deepEqual(line(mine, code), line(stored, code), code);
  });
});
