import assert from 'node:assert/strict';
import supertest from 'supertest';
import { request } from 'undici';
import { bodyHash } from '../common/s2s/tokens.js';
import { startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { TEST_TOKEN } from './helpers/network.js';
import { craftToken } from './helpers/tokens.js';

/** Bytes that are not UTF-8 (a lone continuation byte and an overlong form), inside otherwise valid JSON text. */
const BAD_UTF8 = Buffer.from([0xff, 0xc0, 0xaf]);
const jsonWith = (before: string, bad: Buffer, after: string) => Buffer.concat([Buffer.from(before), bad, Buffer.from(after)]);

/** A console API call with exactly these bytes and this content type (or none). */
async function rawApi(baseUrl: string, method: string, path: string, body?: Buffer | string, contentType?: string) {
  const res = await request(baseUrl + path, {
    method: method as 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
  const text = await res.body.text();
  // any (JSON.parse's own type): tests read arbitrary JSON
  const parsed = text ? JSON.parse(text) : null;
  return { status: res.statusCode, body: parsed };
}

/**
 * Issue 12, item 6: bodies with invalid UTF-8 are refused with 400 (s2s, JSON
 * APIs and forms), JSON APIs refuse another content type with 415, and a
 * state-changing console call with an empty or malformed body is refused
 * rather than taken as "the defaults". Every refusal changes nothing.
 */
describe('hostile bodies: invalid UTF-8, wrong content types and empty console bodies are refused and change nothing', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const main = () => net.main.url;
  const north = () => net.partners.north!.url;
  before(async () => {
    net = await startSyncNetwork([{ id: 'north', contract: { sync: { requiresApproval: true } } }]);
  });
  after(() => net.close());

  /** A request signed by north's key to the main site, carrying exactly these bytes. */
  async function fromNorth(path: string, body: Buffer, contentType = 'application/json') {
    const token = await craftToken(net.partners.north!.ctx.keyring().current, { iss: 'north', aud: 'main', htm: 'POST', htu: path, bh: bodyHash(body) });
    const res = await request(main() + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      signed: typeof res.headers['tieup-response-token'] === 'string',
      body: JSON.parse(text) as { error?: { code: string; message: string } } & Record<string, unknown>,
    };
  }
  const users = async () => (await rawApi(main(), 'GET', '/admin/api/users')).body.users as { email: string; name: string }[];

  it('s2s: invalid UTF-8 bytes in a well-signed body are a signed 400 invalid_encoding, and nothing is stored', async () => {
    const body = jsonWith('{"email":"mallory@example.org","name":"Mal', BAD_UTF8, 'lory","password":"a long enough passphrase","clientIp":""}');
    const r = await fromNorth('/s2s/users/register', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error?.code, 'invalid_encoding');
    assert.ok(r.signed, 'the refusal is signed like every s2s answer');
    assert.equal((await users()).length, 0);
  });

  it('s2s: a JSON escape no UTF-8 text can hold (an unpaired surrogate) is refused the same way', async () => {
    const r = await fromNorth('/s2s/users/register', Buffer.from('{"email":"mallory@example.org","name":"Mal\\udc00lory","password":"a long enough passphrase","clientIp":""}'));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error?.code, 'invalid_encoding');
    assert.equal((await users()).length, 0);
  });

  it('s2s: a JSON endpoint called with another content type is a signed 415, and runs nothing', async () => {
    const r = await fromNorth('/s2s/users/register', Buffer.from('{"email":"mallory@example.org","name":"Mallory","password":"a long enough passphrase","clientIp":""}'), 'text/plain');
    assert.equal(r.status, 415, JSON.stringify(r.body));
    assert.equal(r.body.error?.code, 'unsupported_media_type');
    assert.ok(r.signed);
    assert.equal((await users()).length, 0);
  });

  it('forms: a shopper registration whose fields are not UTF-8 (raw bytes or %-escapes) is refused with 400 and creates no account', async () => {
    for (const name of [Buffer.from('Mal%FFlory'), Buffer.concat([Buffer.from('Mal'), BAD_UTF8, Buffer.from('lory')])]) {
      const page = await supertest(main()).get('/account/register').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      const form = Buffer.concat([Buffer.from(`_csrf=${csrf}&email=mallory%40example.org&password=a+long+enough+passphrase&name=`), name]);
      const r = await request(main() + '/account/register', { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      assert.equal(r.statusCode, 400, await r.body.text());
      await r.body.dump();
    }
    assert.equal((await users()).length, 0);
  });

  it('console API: invalid UTF-8 (bytes or an unpaired surrogate) is 400 invalid_encoding and stores nothing', async () => {
    const before = (await rawApi(north(), 'GET', '/manage/api/overrides')).body;
    const bad = await rawApi(north(), 'PUT', '/manage/api/overrides', jsonWith('{"siteName":"North', BAD_UTF8, '"}'), 'application/json');
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.error.code, 'invalid_encoding');
    const lone = await rawApi(north(), 'PUT', '/manage/api/overrides', '{"siteName":"North\\ud800"}', 'application/json');
    assert.equal(lone.status, 400);
    assert.equal(lone.body.error.code, 'invalid_encoding');
    assert.deepEqual((await rawApi(north(), 'GET', '/manage/api/overrides')).body, before);
    const hook = await rawApi(main(), 'POST', '/admin/api/webhooks', jsonWith('{"url":"http://127.0.0.1:9/', BAD_UTF8, '","events":["push_failed"]}'), 'application/json');
    assert.equal(hook.status, 400);
    assert.deepEqual((await rawApi(main(), 'GET', '/admin/api/webhooks')).body.webhooks, []);
  });

  it('console API: a body in another content type is 415, never read as "no options"', async () => {
    const releases = (await rawApi(main(), 'GET', '/admin/api/releases')).body.releases.length;
    for (const [type, body] of [
      ['text/plain', '{"note":"x"}'],
      ['application/x-www-form-urlencoded', 'note=x'],
      [undefined, '{"note":"x"}'],
    ] as const) {
      const r = await rawApi(main(), 'POST', '/admin/api/releases', body, type);
      assert.equal(r.status, 415, `${type}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'unsupported_media_type');
    }
    const push = await rawApi(main(), 'POST', '/admin/api/partners/north/push', 'repair=true', 'application/x-www-form-urlencoded');
    assert.equal(push.status, 415);
    assert.equal((await rawApi(main(), 'GET', '/admin/api/releases')).body.releases.length, releases);
    assert.equal((await rawApi(main(), 'GET', '/admin/api/deliveries?partner=north')).body.deliveries.length, 0);
  });

  it('console API: an empty body on a state-changing call is refused (400 empty_body) and nothing happens', async () => {
    const releases = (await rawApi(main(), 'GET', '/admin/api/releases')).body.releases.length;
    for (const [method, base, path] of [
      ['POST', main(), '/admin/api/releases'],
      ['POST', main(), '/admin/api/partners/north/push'],
      ['POST', main(), '/admin/api/push'],
      ['POST', main(), '/admin/api/partners/north/suspend'],
      ['POST', main(), '/admin/api/partners/north/check-drift'],
      ['POST', main(), '/admin/api/fees/close'],
      ['PATCH', main(), '/admin/api/partners/north'],
      ['PUT', north(), '/manage/api/overrides'],
      ['PUT', north(), '/manage/api/main'],
      ['POST', north(), '/manage/api/pending/1/approve'],
    ] as const) {
      for (const contentType of [undefined, 'application/json']) {
        const r = await rawApi(base, method, path, contentType ? '' : undefined, contentType);
        assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'empty_body', `${method} ${path}`);
      }
    }
    assert.equal((await rawApi(main(), 'GET', '/admin/api/releases')).body.releases.length, releases);
    assert.equal(net.main.ctx.peers.get('north')!.status, 'active');
    assert.equal((await rawApi(main(), 'GET', '/admin/api/deliveries?partner=north')).body.deliveries.length, 0);
    assert.ok(net.partners.north!.ctx.peers.main(), 'north still has its main site');
  });

  it('console API: a malformed body (not an object, or options the call does not have) is refused and nothing happens', async () => {
    for (const body of ['[]', '"suspend"', 'null', '{"reason":"because"}']) {
      const r = await rawApi(main(), 'POST', '/admin/api/partners/north/suspend', body, 'application/json');
      assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_request');
    }
    assert.equal(net.main.ctx.peers.get('north')!.status, 'active');
    const publish = await rawApi(main(), 'POST', '/admin/api/releases', '{"notes":"typo in the key"}', 'application/json');
    assert.equal(publish.status, 400);
    assert.equal((await rawApi(main(), 'GET', '/admin/api/releases')).body.releases.length, 0);
    // A malformed re-enrolment of the main site on a partner leaves the enrolled one in place.
    const mainBefore = net.partners.north!.ctx.peers.main()!;
    const reenrol = await rawApi(north(), 'PUT', '/manage/api/main', JSON.stringify({ id: 'main', baseUrl: 'not a url' }), 'application/json');
    assert.equal(reenrol.status, 400);
    assert.equal(net.partners.north!.ctx.peers.main()?.id, mainBefore.id);
    // {} is the explicit "nothing to choose" and still works.
    const ok = await rawApi(main(), 'POST', '/admin/api/partners/north/suspend', '{}', 'application/json');
    assert.equal(ok.status, 200);
    assert.equal((await rawApi(main(), 'POST', '/admin/api/partners/north/activate', '{}', 'application/json')).status, 200);
  });
});
