import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { api, getPage, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(30);
  }
}

const DEFACED = 'DEFACED-ON-DISK';

describe('integrity after restart: stored files are checked against their hashes when a partner loads them', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const main = () => net.main.url;
  const north = () => net.partners.north!.url;
  const publish = async (note: string) => (await api(main(), 'POST', '/admin/api/releases', { note })).body.release.number as number;
  const push = (body: Record<string, unknown> = {}) => api(main(), 'POST', '/admin/api/partners/north/push', body);

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }]);
    net.write('pages/about.md', pageText('About us', 'ABOUT-ONE'));
    await publish('first');
    assert.equal((await push()).body.outcome, 'active');
    // Release 2 changes /about (release 1 holds an intact earlier copy) and adds /news (no earlier copy).
    net.write('pages/about.md', pageText('About us', 'ABOUT-TWO'));
    net.write('pages/news.md', pageText('News', 'NEWS-TWO'));
    await publish('second');
    assert.equal((await push()).body.outcome, 'active');
  });
  after(() => net.close());

  it('a blob corrupted while the partner is stopped is never served after restart, and shows as drift at once on both sides', async () => {
    const p = net.partners.north!;
    const active = p.sync.store.get(p.sync.store.activeNumber()!)!;
    const sha = (path: string) => active.manifest.find((e) => e.path === path)!.sha256;
    const damagedPaths = ['assets/brand.css', 'pages/about.md', 'pages/news.md'];
    await net.restartPartner('north', () => {
      // Another process changes the stored files while the partner is down.
      const intruder = new Database(p.ctx.config.dbFile);
      for (const path of damagedPaths) intruder.prepare('UPDATE blobs SET data = ? WHERE sha256 = ?').run(Buffer.from(`# ${DEFACED} ${path}\n`), sha(path));
      intruder.close();
    });

    // A damaged page with an intact copy in the previous release is served from that copy.
    const about = await getPage(north(), '/about');
    assert.equal(about.status, 200);
    assert.match(about.text, /ABOUT-ONE/);
    assert.doesNotMatch(about.text, new RegExp(DEFACED));
    // Without an earlier copy: a clear 503, never the damaged bytes, and nothing a cache keeps.
    const news = await getPage(north(), '/news');
    assert.equal(news.status, 503);
    assert.match(news.text, /temporarily unavailable/);
    assert.doesNotMatch(news.text, new RegExp(DEFACED));
    const css = await request(north() + '/assets/brand.css');
    const cssText = await css.body.text();
    assert.equal(css.statusCode, 503);
    assert.equal(css.headers['cache-control'], 'no-store');
    assert.doesNotMatch(cssText, new RegExp(DEFACED));
    // Pages that are intact are served as before.
    assert.equal((await getPage(north(), '/')).status, 200);

    // The partner's console says which files are damaged, and its sync log says so.
    const console = (await api(north(), 'GET', '/manage/api/sync')).body;
    assert.deepEqual(console.serving.damaged, damagedPaths);
    assert.notEqual(console.serving.servingRoot, console.serving.expectedRoot);
    assert.ok(console.log.some((l: { event: string; detail: string }) => l.event === 'damaged' && l.detail.includes('pages/news.md')));

    // The main site learns it from the partner at once, without a drift check.
    await until(async () => (await api(main(), 'GET', '/admin/api/partners/north')).body.sync.drift === true);
    const s = (await api(main(), 'GET', '/admin/api/partners/north')).body.sync;
    assert.match(s.driftDetail, /3 stored file\(s\) fail their hash/);
    assert.match(s.driftDetail, /pages\/news\.md/);
    const events = (await api(main(), 'GET', '/admin/api/sync/events?partner=north')).body.events as { kind: string; detail: string }[];
    assert.ok(events.some((e) => e.kind === 'damaged' && e.detail.includes('assets/brand.css')));

    // A push (a repair) re-sends the damaged files; everything is served from intact copies again and the drift clears.
    const repair = await push({ repair: true });
    assert.equal(repair.body.outcome, 'active');
    assert.match((await getPage(north(), '/about')).text, /ABOUT-TWO/);
    const newsAgain = await getPage(north(), '/news');
    assert.equal(newsAgain.status, 200);
    assert.match(newsAgain.text, /NEWS-TWO/);
    assert.equal((await request(north() + '/assets/brand.css')).statusCode, 200);
    assert.equal((await api(main(), 'GET', '/admin/api/partners/north')).body.sync.drift, false);
    assert.deepEqual((await api(north(), 'GET', '/manage/api/sync')).body.serving.damaged, []);
  });

  it('a new release asks again for a stored file found damaged, instead of serving or refusing it', async () => {
    const p = net.partners.north!;
    const active = p.sync.store.get(p.sync.store.activeNumber()!)!;
    const about = active.manifest.find((e) => e.path === 'pages/about.md')!;
    await net.restartPartner('north', () => {
      const intruder = new Database(p.ctx.config.dbFile);
      intruder.prepare('UPDATE blobs SET data = ? WHERE sha256 = ?').run(Buffer.from(`# ${DEFACED}\n`), about.sha256);
      intruder.close();
    });
    // A new release that keeps the damaged page as it was: the partner asks for it again rather than serve the damaged copy.
    net.write('pages/extra.md', pageText('Extra', 'EXTRA-THREE'));
    await publish('third');
    const pushed = await push();
    assert.equal(pushed.body.outcome, 'active', pushed.body.detail);
    assert.match((await getPage(north(), '/about')).text, /ABOUT-TWO/);
    assert.deepEqual((await api(north(), 'GET', '/manage/api/sync')).body.serving.damaged, []);
  });
});
