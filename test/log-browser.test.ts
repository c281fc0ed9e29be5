import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { decodeEntry, entryLeaf, type EntryFields, type LogEntry } from '../common/logchain/entry.js';
import { verifyInclusion } from '../common/logchain/merkle.js';
import { checkCosignature, checkNoteSignature, logOrigin, parseCheckpoint, parseNote, rawPublicKey, witnessName } from '../common/logchain/note.js';
import { loadKeyring } from '../common/keys/keystore.js';
import type { SiteContext } from '../common/site/context.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { consoleLogin } from './helpers/console-login.js';
import { startNetwork, TEST_TOKEN, type TestNetwork } from './helpers/network.js';

type Agent = ReturnType<typeof supertest.agent>;

const login = consoleLogin;

const KINDS = ['tie-up', 'original', 'asset', 'shop'] as const;
const PATHS = ['/', '/about', '/products/tea', '/products/coffee', '/productsale', '/news/1'];
const STATUSES = [200, 200, 304, 404, 500];
const USERS = [null, 'u-alice', 'u-bob'];
const T0 = Date.UTC(2026, 10, 1);

/** Page entries whose fields vary independently, one minute apart from 2026-11-01T00:00Z (so a time range is a range of positions). */
function entry(site: string, i: number): EntryFields {
  return {
    time: new Date(T0 + i * 60_000).toISOString(),
    site,
    type: 'page',
    path: PATHS[i % PATHS.length]!,
    kind: KINDS[i % KINDS.length]!,
    release: 1,
    status: STATUSES[i % STATUSES.length]!,
    bytes: 100 + i,
    user: USERS[i % USERS.length]!,
    session: null,
    client: '10.0.0.0/24',
    ua: 'browser',
    order: null,
  };
}

function append(ctx: SiteContext, from: number, n: number): void {
  for (let i = from; i < from + n; i++) ctx.log.append(entry(ctx.config.siteId, i));
  ctx.log.flush();
  // Sign the tail, so every entry is covered by a checkpoint (a shipment ends at one).
  ctx.log.checkpoint();
}

/** Every stored line of a log, decoded, newest first. */
function allEntries(lines: string[]): LogEntry[] {
  return lines.map((l) => decodeEntry(l)!).reverse();
}

/** The filter in JavaScript, as docs/logs.md words it: what the browser must return. */
function expected(entries: LogEntry[], f: { type?: string; kind?: string; path?: string; status?: string; from?: string; to?: string; user?: string }): number[] {
  return entries
    .filter((e) => {
      if (f.type && e.type !== f.type) return false;
      if (f.kind && e.kind !== f.kind) return false;
      if (f.path && !e.path.startsWith(f.path)) return false;
      if (f.status) {
        const lo = Number(f.status.replace('xx', '00'));
        const hi = f.status.endsWith('xx') ? lo + 99 : lo;
        if (e.status < lo || e.status > hi) return false;
      }
      if (f.from && e.time < new Date(f.from).toISOString()) return false;
      if (f.to && e.time >= new Date(f.to).toISOString()) return false;
      if (f.user && e.user !== f.user) return false;
      return true;
    })
    .map((e) => e.index);
}

/** Index cells of a list page, in order, and its pager links. */
function readPage(html: string): { indexes: number[]; older: string | null; newer: string | null } {
  const indexes = [...html.matchAll(/<tr data-index="(\d+)">/g)].map((m) => Number(m[1]));
  const href = (rel: string) => {
    const m = new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(html);
    return m ? m[1]!.replace(/&amp;/g, '&') : null;
  };
  return { indexes, older: href('next'), newer: href('prev') };
}

/** Follows "Older" from the first page to the end: every index shown, in order. */
async function walk(agent: Agent, first: string): Promise<number[]> {
  const out: number[] = [];
  let url: string | null = first;
  for (let n = 0; url && n < 200; n++) {
    const r = await agent.get(url).expect(200);
    const p = readPage(r.text);
    out.push(...p.indexes);
    url = p.older;
  }
  return out;
}

describe('log browser in the consoles: filters, keyset pages, CSV, entry proofs', function () {
  this.timeout(60000);
  let net: TestNetwork;
  let admin: Agent;
  let north: Agent;
  const main = () => net.main;
  const northSite = () => net.partners.north!;

  before(async () => {
    net = await startNetwork(['north', 'south'], { logCheckpointEntries: 64, logShipBatch: 300, logShipMs: 3_600_000 });
    append(northSite().ctx, 0, 240);
    append(net.partners.south!.ctx, 0, 30);
    append(main().ctx, 0, 50);
    for (const p of [northSite(), net.partners.south!]) {
      const r = await shipLog(p.ctx, p.ctx.logStore);
      assert.equal(r.error, undefined);
    }
    assert.equal(main().witness.store.latestCheckpoint('north')!.size, 240);
    admin = await login(main().url, '/admin', 'operator');
    north = await login(northSite().url, '/manage', 'manager');
  });
  after(() => net.close());

  const witnessedNorth = () =>
    allEntries(
      main()
        .witness.store.entries('north', 0, 1e9)
        .map((e) => e.line),
    );

  it('refuses every browser page to a visitor without a console session', async () => {
    for (const [url, path] of [
      [main().url, '/admin/logs/entries?site=north'],
      [main().url, '/admin/logs/entries.csv?site=north'],
      [main().url, '/admin/logs/entries/north/0'],
      [main().url, '/admin/logs/entries/north/0/proof.json'],
      [northSite().url, '/manage/logs/entries'],
      [northSite().url, '/manage/logs/entries.csv'],
      [northSite().url, '/manage/logs/entries/north/0'],
    ] as const) {
      const r = await supertest(url).get(path);
      assert.equal(r.status, 303, path);
      assert.match(String(r.headers.location), /\/login\?next=/, path);
      assert.ok(!r.text.includes('"v":1'), `${path} shows a log line`);
    }
  });

  it("lists a partner's witnessed log newest first, and each filter narrows it to exactly the matching entries", async () => {
    const all = witnessedNorth();
    const cases: Record<string, string>[] = [
      {},
      { kind: 'original' },
      { path: '/products/' },
      { path: '/products' },
      { status: '4xx' },
      { status: '304' },
      { user: 'u-alice' },
      { from: '2026-11-01T01:00Z', to: '2026-11-01T02:30:00.000Z' },
      { from: '2026-11-01T03:00' },
      { type: 'page', kind: 'tie-up', status: '2xx', path: '/', user: 'u-bob' },
      { type: 'order' },
    ];
    for (const f of cases) {
      const qs = new URLSearchParams({ site: 'north', limit: '25', ...f }).toString();
      const got = await walk(admin, `/admin/logs/entries?${qs}`);
      const want = expected(all, f);
      assert.deepEqual(got, want, `filter ${qs}`);
      if (Object.keys(f).length && f.type !== 'order') assert.ok(want.length > 0 && want.length < all.length, `filter ${qs} should narrow (${want.length} of ${all.length})`);
    }
    // The main site's own log: the fields are read from its lines, and filter the same way.
    const mainAll = allEntries(main().ctx.logStore.lines(0, main().ctx.log.size));
    for (const f of [{ path: '/products/' }, { user: 'u-alice', status: '2xx' }, { from: '2026-11-01T00:10Z', to: '2026-11-01T00:20Z', kind: 'asset' }] as Record<string, string>[]) {
      const qs = new URLSearchParams({ limit: '7', ...f }).toString();
      const want = expected(mainAll, f);
      assert.ok(want.length > 0 && want.length < mainAll.length, `own filter ${qs} should narrow`);
      assert.deepEqual(await walk(admin, `/admin/logs/entries?${qs}`), want, `own filter ${qs}`);
    }
    // The first page holds the newest entries.
    const first = readPage((await admin.get('/admin/logs/entries?site=north&limit=5').expect(200)).text);
    assert.deepEqual(first.indexes, [239, 238, 237, 236, 235]);
  });

  it('keeps pages stable while the log grows: older pages continue where they left off, newer goes back exactly', async () => {
    const qs = 'site=north&kind=tie-up&limit=10';
    const p1 = readPage((await admin.get(`/admin/logs/entries?${qs}`).expect(200)).text);
    const p2 = readPage((await admin.get(p1.older!).expect(200)).text);
    // The partner logs and ships more in between.
    append(northSite().ctx, 240, 40);
    const shipped = await shipLog(northSite().ctx, northSite().ctx.logStore);
    assert.equal(shipped.acceptedSize, 280);
    const p2again = readPage((await admin.get(p1.older!).expect(200)).text);
    assert.deepEqual(p2again.indexes, p2.indexes, 'the same cursor shows the same page after appends');
    assert.ok(Math.min(...p1.indexes) > Math.max(...p2.indexes), 'no overlap between pages');
    const back = readPage((await admin.get(p2.newer!).expect(200)).text);
    assert.deepEqual(back.indexes, p1.indexes, '"Newer" from page 2 is page 1');
    // From page 1, "Newer" now shows the entries appended meanwhile.
    const newer = readPage((await admin.get(back.newer ?? `/admin/logs/entries?${qs}&after=${p1.indexes[0]}`).expect(200)).text);
    assert.ok(newer.indexes.every((i) => i >= 240) && newer.indexes.length > 0);
    assert.deepEqual(await walk(admin, `/admin/logs/entries?${qs}`), expected(witnessedNorth(), { kind: 'tie-up' }));
  });

  it('exports the filtered list as CSV: the same rows as the pages, every page of them, with their fields', async () => {
    const all = witnessedNorth();
    for (const f of [{ status: '2xx', path: '/products' }, { user: 'u-bob', from: '2026-11-01T00:30Z' }, {}] as Record<string, string>[]) {
      const qs = new URLSearchParams({ site: 'north', ...f }).toString();
      const r = await admin.get(`/admin/logs/entries.csv?${qs}`).expect(200);
      assert.match(String(r.headers['content-type']), /^text\/csv/);
      assert.match(String(r.headers['content-disposition']), /attachment; filename="log-north.*\.csv"/);
      const rows = parse<Record<string, string>>(r.text, { columns: true });
      const want = expected(all, f);
      assert.deepEqual(
        rows.map((x) => Number(x.index)),
        want,
        `csv ${qs}`,
      );
      assert.deepEqual(
        rows.map((x) => Number(x.index)),
        await walk(admin, `/admin/logs/entries?${qs}&limit=50`),
        `csv ${qs} = pages`,
      );
      const byIndex = new Map(all.map((e) => [e.index, e]));
      for (const row of rows) {
        const e = byIndex.get(Number(row.index))!;
        assert.deepEqual([row.time, row.site, row.path, row.kind, Number(row.status), row.user], [e.time, 'north', e.path, e.kind, e.status, e.user ?? '']);
        assert.equal(row.leaf, entryLeaf(main().witness.store.entry('north', e.index)!.line).toString('hex'));
      }
    }
  });

  it('streams an export longer than one read of the store, whole and in order', async () => {
    const south = net.partners.south!;
    append(south.ctx, 30, 1200);
    assert.equal((await shipLog(south.ctx, south.ctx.logStore)).acceptedSize, 1230);
    const r = await admin.get('/admin/logs/entries.csv?site=south').expect(200);
    const rows = parse<Record<string, string>>(r.text, { columns: true });
    assert.deepEqual(
      rows.map((x) => Number(x.index)),
      Array.from({ length: 1230 }, (_, i) => 1229 - i),
    );
    const filtered = parse<Record<string, string>>((await admin.get('/admin/logs/entries.csv?site=south&status=304').expect(200)).text, { columns: true });
    assert.deepEqual(
      filtered.map((x) => Number(x.index)),
      expected(
        allEntries(
          main()
            .witness.store.entries('south', 0, 1e9)
            .map((e) => e.line),
        ),
        { status: '304' },
      ),
    );
  });

  it("shows an entry's exact line, leaf and an inclusion proof that verifies against the signed, cosigned checkpoint", async () => {
    const index = 123;
    const page = await admin.get(`/admin/logs/entries/north/${index}`).expect(200);
    const stored = main().witness.store.entry('north', index)!;
    const unescape = (s: string) =>
      s
        .replace(/&#34;/g, '"')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#39;/g, "'");
    assert.equal(unescape(/<pre class="log-line" data-line>([^<]*)<\/pre>/.exec(page.text)![1]!), stored.line);
    assert.match(page.text, new RegExp(`data-leaf>${stored.leaf.toString('hex')}<`));
    assert.match(page.text, /verifies against the root/);
    assert.match(page.text, /tieup audit verify-proof proof-north-123\.json/);

    const r = await admin.get(`/admin/logs/entries/north/${index}/proof.json`).expect(200);
    const p = JSON.parse(r.text) as { type: string; index: number; size: number; leaf: string; root: string; proof: string[]; line: string; checkpoint: string; cosignature: string };
    assert.equal(p.type, 'inclusion');
    assert.equal(p.line, stored.line);
    assert.equal(p.leaf, entryLeaf(p.line).toString('hex'), 'the leaf is the hash of the line');
    // The root is the signed checkpoint's, signed by north's key and cosigned by the main site's.
    const note = parseNote(p.checkpoint)!;
    const body = parseCheckpoint(note.body)!;
    assert.equal(body.size, p.size);
    assert.equal(body.root.toString('hex'), p.root);
    const northKey = (await loadKeyring(join(net.dir, 'keys'), 'north')).current.publicJwk.x;
    assert.equal(checkNoteSignature(note, { name: logOrigin('north'), publicRaw: rawPublicKey(northKey) }), 'ok');
    const mainKey = main().ctx.keyring().current.publicJwk.x;
    assert.equal(checkCosignature(note.body, p.cosignature, { name: witnessName('main'), publicRaw: rawPublicKey(mainKey) }).ok, true);
    const hex = (h: string) => Buffer.from(h, 'hex');
    assert.equal(verifyInclusion(hex(p.leaf), p.index, p.size, p.proof.map(hex), hex(p.root)), true);
    // And a proof for another leaf does not pass for this one: the check can fail.
    assert.equal(verifyInclusion(entryLeaf(main().witness.store.entry('north', index + 1)!.line), p.index, p.size, p.proof.map(hex), hex(p.root)), false);

    // The main site's own log: a proof against its own signed checkpoint (nobody cosigns it there).
    const own = JSON.parse((await admin.get('/admin/logs/entries/main/7/proof.json').expect(200)).text) as typeof p;
    const ownNote = parseNote(own.checkpoint)!;
    assert.equal(checkNoteSignature(ownNote, { name: logOrigin('main'), publicRaw: rawPublicKey(mainKey) }), 'ok');
    assert.equal(verifyInclusion(hex(own.leaf), 7, own.size, own.proof.map(hex), parseCheckpoint(ownNote.body)!.root), true);

    // The console API answers the same proof and the same pages, for scripts with a bearer token.
    const viaApi = await supertest(main().url).get(`/admin/api/logs/entries/north/${index}`).set('authorization', `Bearer ${TEST_TOKEN}`).expect(200);
    assert.deepEqual(viaApi.body, p);
    const listed = await supertest(main().url).get('/admin/api/logs/entries?site=north&status=404&limit=3').set('authorization', `Bearer ${TEST_TOKEN}`).expect(200);
    assert.deepEqual(
      (listed.body as { entries: { index: number }[] }).entries.map((e) => e.index),
      expected(witnessedNorth(), { status: '404' }).slice(0, 3),
    );
    assert.equal((listed.body as { older: { before: number } }).older.before, (listed.body as { entries: { index: number }[] }).entries[2]!.index);
    const apiBad = await supertest(main().url).get('/admin/api/logs/entries?status=teapot').set('authorization', `Bearer ${TEST_TOKEN}`).expect(400);
    assert.equal(apiBad.body.error.code, 'bad_filter');
    await supertest(main().url).get('/admin/api/logs/entries').expect(401);

    const missing = await admin.get('/admin/logs/entries/north/99999').set('accept', 'application/json').expect(404);
    assert.equal(missing.body.error.code, 'entry_not_found');
  });

  it('refuses bad filter values with 400 bad_filter naming the field, on the page, the CSV and for JSON clients', async () => {
    const bad: [string, string][] = [
      ['status=999', 'status'],
      ['status=4x', 'status'],
      ['kind=video', 'kind'],
      ['from=yesterday', 'from'],
      ['from=2026-02-31', 'from'],
      ['to=2026-11-01T10:00%2B02:00', 'to'],
      ['from=2026-11-02&to=2026-11-01', 'from'],
      ['path=products', 'path'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['before=-1', 'before'],
      ['before=5&after=3', 'before'],
      ['site=nowhere', 'site'],
      ['colour=red', 'colour'],
      ['type=Page', 'type'],
    ];
    for (const [qs, field] of bad) {
      const page = await admin.get(`/admin/logs/entries?${qs}`).expect(400);
      assert.match(page.text, /data-code="bad_filter"/, qs);
      assert.ok(!/<tr data-index=/.test(page.text), `${qs}: rows shown with a refused filter`);
      const json = await admin.get(`/admin/logs/entries?${qs}`).set('accept', 'application/json').expect(400);
      assert.equal(json.body.error.code, 'bad_filter', qs);
      assert.equal(json.body.error.details.field, field, qs);
      const csv = await admin.get(`/admin/logs/entries.csv?${qs}`).set('accept', 'application/json').expect(400);
      assert.equal(csv.body.error.code, 'bad_filter', `csv ${qs}`);
    }
    const idx = await admin.get('/admin/logs/entries/north/abc').set('accept', 'application/json').expect(400);
    assert.equal(idx.body.error.code, 'bad_filter');
  });

  it("shows a partner only its own log: never the main site's, nor what the main site witnessed of another partner", async () => {
    const own = allEntries(northSite().ctx.logStore.lines(0, northSite().ctx.log.size));
    assert.deepEqual(await walk(north, '/manage/logs/entries?limit=100&status=5xx'), expected(own, { status: '5xx' }));
    const list = await north.get('/manage/logs/entries?limit=200').expect(200);
    assert.ok(!/<select name="site">/.test(list.text), 'a partner has no log to choose');
    for (const site of ['south', 'main']) {
      const refused = await north.get(`/manage/logs/entries?site=${site}`).set('accept', 'application/json').expect(400);
      assert.equal(refused.body.error.code, 'bad_filter');
      assert.match(refused.body.error.message, /only this site's own log/);
      const csv = await north.get(`/manage/logs/entries.csv?site=${site}`).set('accept', 'application/json').expect(400);
      assert.equal(csv.body.error.code, 'bad_filter');
      const api = await supertest(northSite().url).get(`/manage/api/logs/entries?site=${site}`).set('authorization', `Bearer ${TEST_TOKEN}`).expect(400);
      assert.equal(api.body.error.code, 'bad_filter');
      await supertest(northSite().url).get(`/manage/api/logs/entries/${site}/0`).set('authorization', `Bearer ${TEST_TOKEN}`).expect(404);
      for (const path of [`/manage/logs/entries/${site}/0`, `/manage/logs/entries/${site}/0/proof.json`]) {
        const r = await north.get(path).set('accept', 'application/json').expect(404);
        assert.equal(r.body.error.code, 'entry_not_found');
      }
    }
    // Its CSV is its own entries only.
    const rows = parse<Record<string, string>>((await north.get('/manage/logs/entries.csv').expect(200)).text, { columns: true });
    assert.equal(rows.length, northSite().ctx.log.size);
    assert.ok(rows.every((r) => r.site === 'north'));
    // The partner's own proof carries the main site's cosignature of that checkpoint once shipped.
    const p = JSON.parse((await north.get('/manage/logs/entries/north/3/proof.json').expect(200)).text) as { leaf: string; size: number; proof: string[]; root: string; cosignature: string | null };
    const hex = (h: string) => Buffer.from(h, 'hex');
    assert.equal(verifyInclusion(hex(p.leaf), 3, p.size, p.proof.map(hex), hex(p.root)), true);
    assert.equal(typeof p.cosignature, 'string');
    // A made-up session cookie is no session.
    const r = await supertest(northSite().url).get('/manage/logs/entries').set('cookie', 'tieup_session=forged').expect(303);
    assert.match(String(r.headers.location), /login/);
  });
});
