import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { request } from 'undici';
import supertest from 'supertest';
import { AppError, catalogEntries, defineErrors, groundErrors, publicError, type CatalogEntry } from '../common/errors.js';
import { fromRoot } from '../common/paths.js';
import type { SiteDefinition } from '../common/site/host.js';
import { S2SCallError } from '../common/s2s/client.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { startNetwork, TEST_PASSWORD, TEST_TOKEN, type TestNetwork } from './helpers/network.js';

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

function checkEntries(where: string, entries: CatalogEntry[]): void {
  for (const e of entries) {
    assert.match(e.code, SNAKE, `${where}: ${e.code} is not snake_case`);
    for (const s of [e.status, ...e.also]) assert.ok(Number.isInteger(s) && s >= 400 && s <= 599, `${where}: ${e.code} has status ${s}, not 4xx/5xx`);
    if (e.status < 500) assert.equal(e.expose, true, `${where}: ${e.code} is a client error, so its message is shown`);
  }
}

describe('error catalogs: one per capability, stable codes with their statuses', () => {
  const sites: [string, SiteDefinition][] = [
    ['main', MAIN_SITE],
    ['partner', PARTNER_SITE],
  ];

  it('the ground floor catalog: snake_case codes, 4xx/5xx statuses, every s2s verifier code a 401', () => {
    const { capability, entries } = catalogEntries(groundErrors);
    assert.equal(capability, 'ground');
    checkEntries('ground', entries);
    for (const code of ['missing_token', 'bad_signature', 'replayed', 'body_hash_mismatch']) assert.equal(entries.find((e) => e.code === code)?.status, 401);
    assert.equal(new S2SCallError('peer_unreachable', 'x').status, 502);
  });

  for (const [role, def] of sites) {
    it(`${role} site: every capability's codes are unique within it, snake_case, 4xx/5xx, and one code keeps one status across the site`, () => {
      const statusOf = new Map<string, { status: number; where: string }>();
      for (const e of catalogEntries(groundErrors).entries) statusOf.set(e.code, { status: e.status, where: 'ground' });
      let listed = 0;
      for (const m of def.modules) {
        const seen = new Map<string, string>();
        for (const catalog of m.errors ?? []) {
          const { capability, entries } = catalogEntries(catalog);
          assert.equal(capability, m.name, `a catalog of module ${m.name} is named for ${capability}`);
          checkEntries(`${role}/${m.name}`, entries);
          for (const e of entries) {
            assert.ok(!seen.has(e.code), `${role}/${m.name}: ${e.code} is listed twice`);
            seen.set(e.code, m.name);
            const before = statusOf.get(e.code);
            if (before) assert.equal(e.status, before.status, `${role}: ${e.code} is ${e.status} in ${m.name} but ${before.status} in ${before.where}`);
            else statusOf.set(e.code, { status: e.status, where: m.name });
            listed++;
          }
        }
      }
      assert.ok(listed > 30, `only ${listed} codes listed on the ${role} site`);
    });
  }

  it('no code outside the catalogs: capabilities throw from their catalog, never a bare AppError', () => {
    const offenders: string[] = [];
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
      });
    for (const top of ['common', 'main-site', 'partner-site']) {
      for (const file of walk(fromRoot(top))) {
        const rel = relative(fromRoot('.'), file);
        if (rel === 'common/errors.ts') continue;
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            // A peer's refusal passed on as it came (peerRefusal) carries the peer's own catalog code.
            if (rel === 'common/s2s/client.ts' && line.includes("e.code ?? 'refused'")) return;
            // A declared endpoint's own error code (declared in common/protocol with the endpoint) passed on by the s2s router.
            if (rel === 'common/s2s/middleware.ts' && line.includes('declared.has(code)')) return;
            if (/new AppError\(|\b(badRequest|notFound|conflict)\(['"]/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('defineErrors: typed factories with the entry status; `also` statuses only as declared', () => {
    const c = defineErrors('demo', {
      thing_missing: { status: 404 },
      thing_taken: { status: 409, also: [404] },
      down: { status: 503, message: 'down for a minute', expose: true },
      broke: { status: 500 },
    });
    const e = c.thing_missing('no thing 3');
    assert.ok(e instanceof AppError);
    assert.deepEqual([e.status, e.code, e.message, e.expose], [404, 'thing_missing', 'no thing 3', true]);
    assert.equal(c.thing_taken.as(404, 'x').status, 404);
    assert.throws(() => c.thing_taken.as(410, 'x'));
    assert.equal(c.down().message, 'down for a minute');
    assert.ok(c.thing_taken.is(c.thing_taken('y')) && !c.thing_taken.is(e));
    // What a client sees: an exposed error as it is, an unexposed one by its code only, anything else as "internal".
    assert.equal(publicError(c.down()).body.error.message, 'down for a minute');
    assert.deepEqual(publicError(c.broke('disk /var/x is full')).body, { error: { code: 'broke', message: 'something went wrong on our side; see the server log' } });
    assert.deepEqual(publicError(new Error('SQLITE_CORRUPT at /var/lib/x')), {
      status: 500,
      body: { error: { code: 'internal', message: 'something went wrong on our side; see the server log' } },
      internal: true,
    });
  });
});

describe('internal errors never reach a page or a JSON body', () => {
  const SECRET = 'SQLITE_IOERR reading /var/lib/tieup/secret-path.db';
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north']);
  });
  after(() => net.close());

  async function consoleAgent(url: string, base: string, username: string) {
    const agent = supertest.agent(url);
    const page = await agent.get(`${base}/login`).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent.post(`${base}/login`).type('form').send({ _csrf: csrf, username, password: TEST_PASSWORD }).expect(303);
    return agent;
  }

  it('a console page, a console API and an s2s answer say "something went wrong", never the error text; a client error keeps its message', async () => {
    const fees = net.main.fees as unknown as { statements: unknown; statement: unknown };
    const saved = { statements: fees.statements, statement: fees.statement };
    const boom = () => {
      throw new Error(SECRET);
    };
    fees.statements = boom;
    fees.statement = boom;
    const releases = net.main.sync.releases as unknown as { latest: unknown };
    const latest = releases.latest;
    releases.latest = boom;
    try {
      const agent = await consoleAgent(net.main.url, '/admin', 'operator');
      // A page whose handler throws: the error page.
      const page = await agent.get('/admin/sync');
      assert.equal(page.status, 500);
      assert.match(page.text, /something went wrong/i);
      assert.ok(!page.text.includes(SECRET) && !page.text.includes('secret-path'), 'the raw error text is on the page');
      // A page that shows a load error in place.
      const feesPage = await agent.get('/admin/fees');
      assert.equal(feesPage.status, 200);
      assert.match(feesPage.text, /something went wrong on our side/);
      assert.ok(!feesPage.text.includes('secret-path'));
      // The console API.
      const api = await request(`${net.main.url}/admin/api/fees/statements?period=2026-10`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      const body = await api.body.text();
      assert.equal(api.statusCode, 500);
      assert.deepEqual(JSON.parse(body), { error: { code: 'internal', message: 'something went wrong on our side; see the server log' } });
      // The s2s answer a partner gets: signed, with the same generic message.
      await assert.rejects(net.partners.north!.ctx.client.call('main', 'POST', '/s2s/fees/statement', { period: '2026-10' }), (err: unknown) => {
        assert.ok(err instanceof S2SCallError);
        assert.equal(err.details?.status, 500);
        assert.ok(!JSON.stringify(err.details).includes('secret-path'), 'the raw error text reached the peer');
        return true;
      });
      // A client error keeps its message.
      const bad = await request(`${net.main.url}/admin/api/fees/statements?period=soon`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(await bad.body.json(), { error: { code: 'invalid_request', message: 'period must be YYYY-MM' } });
    } finally {
      fees.statements = saved.statements;
      fees.statement = saved.statement;
      releases.latest = latest;
    }
  });

  it('the ground codes keep their statuses: an unknown API path, bad JSON', async () => {
    const nf = await request(`${net.main.url}/admin/api/no-such-thing`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(nf.statusCode, 404);
    assert.equal(((await nf.body.json()) as { error: { code: string } }).error.code, groundErrors.not_found.code);
    const bad = await request(`${net.main.url}/admin/api/partners`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: '{"id":' });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(await bad.body.json(), { error: { code: 'invalid_json', message: 'the request body is not valid JSON' } });
  });
});
