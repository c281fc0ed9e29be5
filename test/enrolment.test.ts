import assert from 'node:assert/strict';
import { request } from 'undici';
import { startSite, publicKeysOf, tempDir, TEST_TOKEN } from './helpers/network.js';
import type { RunningSite } from '../common/site/runner.js';

async function api(site: RunningSite, method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN) {
  const res = await request(site.url + path, {
    method: method as 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, any>) : null }; // any: the tests read arbitrary JSON bodies
}

describe('enrolment through the admin and manage APIs', () => {
  const dir = tempDir();
  let main: RunningSite;
  let north: RunningSite;
  let northTp: string;
  let mainTp: string;

  before(async () => {
    main = await startSite('main', 'main', dir);
    north = await startSite('partner', 'north', dir);
    northTp = (await publicKeysOf(dir, 'north'))[0]!.thumbprint;
    mainTp = (await publicKeysOf(dir, 'main'))[0]!.thumbprint;
  });
  after(async () => {
    await main.close();
    await north.close();
  });

  it('refuses the API without a valid bearer token', async () => {
    assert.equal((await api(main, 'GET', '/admin/api/partners', undefined, null)).status, 401);
    const r = await api(main, 'GET', '/admin/api/partners', undefined, 'wrong-token-000000000000');
    assert.equal(r.status, 401);
    assert.equal(r.body?.error.code, 'unauthorized');
  });

  it('refuses bad enrolment input with a clear error and stores nothing', async () => {
    const cases: [unknown, string][] = [
      [{ id: 'North!', baseUrl: north.url, thumbprint: northTp }, 'invalid_request'],
      [{ id: 'north', baseUrl: 'ftp://x', thumbprint: northTp }, 'invalid_request'],
      [{ id: 'north', baseUrl: north.url }, 'invalid_request'],
      [{ id: 'north', baseUrl: north.url, keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), d: 'B'.repeat(43) }] }, 'invalid_key'],
      [{ id: 'north', baseUrl: north.url, thumbprint: 'A'.repeat(43) }, 'thumbprint_mismatch'],
      [{ id: 'north', baseUrl: north.url, thumbprint: northTp, extra: 1 }, 'invalid_request'],
      [{ id: 'main', baseUrl: north.url, thumbprint: northTp }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const r = await api(main, 'POST', '/admin/api/partners', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body?.error.code, code, JSON.stringify(body));
    }
    assert.deepEqual((await api(main, 'GET', '/admin/api/partners')).body?.partners, []);
  });

  it('enrols by thumbprint (the key is fetched from JWKS but must match the pinned thumbprint), both ways', async () => {
    const r = await api(main, 'POST', '/admin/api/partners', { id: 'north', baseUrl: north.url + '/', thumbprint: northTp, contract: { sync: { partnershipType: 'content' } } });
    assert.equal(r.status, 201);
    assert.equal(r.body?.baseUrl, north.url);
    assert.deepEqual(
      r.body?.keys.map((k: { thumbprint: string }) => k.thumbprint),
      [northTp],
    );
    assert.equal((await api(main, 'POST', '/admin/api/partners', { id: 'north', baseUrl: north.url, thumbprint: northTp })).body?.error.code, 'peer_exists');
    const m = await api(north, 'PUT', '/manage/api/main', { id: 'main', baseUrl: main.url, thumbprint: mainTp });
    assert.equal(m.status, 201);
  });

  it('checks every pair both ways and reports skew', async () => {
    const r = await api(main, 'POST', '/admin/api/partners/check', {});
    assert.equal(r.status, 200);
    assert.equal(r.body?.ok, true);
    assert.deepEqual(
      r.body?.pairs.map((p: { from: string; to: string; ok: boolean }) => [p.from, p.to, p.ok]),
      [
        ['main', 'north', true],
        ['north', 'main', true],
      ],
    );
    assert.equal(typeof r.body?.pairs[0].skewMs, 'number');
    const listed = await api(main, 'GET', '/admin/api/partners/north');
    assert.equal(listed.body?.lastHello.ok, true);
  });

  it('suspending a partner cuts it at once in both directions; activating restores it', async () => {
    assert.equal((await api(main, 'POST', '/admin/api/partners/north/suspend', {})).body?.status, 'suspended');
    const fromNorth = await api(north, 'POST', '/manage/api/main/hello', {});
    assert.equal(fromNorth.body?.ok, false);
    assert.equal(fromNorth.body?.code, 'peer_rejected:wrong_issuer');
    const check = await api(main, 'POST', '/admin/api/partners/check', {});
    assert.equal(check.body?.pairs[0].skipped, true);
    assert.equal((await api(main, 'POST', '/admin/api/partners/north/activate', {})).body?.status, 'active');
    assert.equal((await api(north, 'POST', '/manage/api/main/hello', {})).body?.ok, true);
  });

  it('a partner whose main cannot be reached shows the failure in the check', async () => {
    await api(north, 'PUT', '/manage/api/main', { id: 'main', baseUrl: 'http://127.0.0.1:9', thumbprint: mainTp, keys: (await publicKeysOf(dir, 'main')).map((k) => k.publicJwk) });
    const r = await api(main, 'POST', '/admin/api/partners/check', {});
    assert.equal(r.body?.ok, false);
    assert.equal(r.body?.pairs[1].ok, false);
    assert.equal(r.body?.pairs[1].code, 'peer_unreachable');
    await api(north, 'PUT', '/manage/api/main', { id: 'main', baseUrl: main.url, thumbprint: mainTp });
  });

  it('removing a partner refuses it from then on', async () => {
    assert.equal((await api(main, 'DELETE', '/admin/api/partners/north')).status, 204);
    const r = await api(north, 'POST', '/manage/api/main/hello', {});
    assert.equal(r.body?.code, 'peer_rejected:wrong_issuer');
    assert.equal((await api(main, 'DELETE', '/admin/api/partners/north')).status, 404);
  });
});
