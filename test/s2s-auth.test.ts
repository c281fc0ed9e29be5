import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { generateEd25519Jwk, importEd25519 } from '../common/keys/jwk.js';
import { loadKeyring, type SigningKey } from '../common/keys/keystore.js';
import { bodyHash, RESPONSE_TYP } from '../common/s2s/tokens.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { craftToken, rawCall } from './helpers/tokens.js';

describe('s2s authentication: the callee refuses every bad request token with its own code', () => {
  let net: TestNetwork;
  let northKey: SigningKey;
  let mainUrl: string;

  before(async () => {
    net = await startNetwork(['north', 'south']);
    northKey = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
    mainUrl = net.main.url;
  });
  after(() => net.close());

  async function expectCode(authorization: string | undefined, code: string, opts: { method?: string; path?: string; body?: string } = {}) {
    const r = await rawCall(mainUrl, { ...opts, ...(authorization ? { authorization } : {}) });
    assert.equal(r.status, 401, `expected 401 for ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body?.error?.code, code);
    assert.equal(typeof r.body?.error?.message, 'string');
    return r;
  }

  it('accepts a well-formed token and answers who called whom, with a signed response', async () => {
    const r = await rawCall(mainUrl, { authorization: `Bearer ${await craftToken(northKey, {})}` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body?.caller, { id: 'north', kid: northKey.kid });
    assert.deepEqual(r.body?.callee, { id: 'main', role: 'main' });
    assert.equal(r.body?.protocolVersion, 1);
    assert.ok(r.headers['tieup-response-token'], 'response token header present');
  });

  it('missing_token: no Authorization header', () => expectCode(undefined, 'missing_token'));

  it('malformed_token: not a bearer JWT, garbage, or a header naming its own key', async () => {
    await expectCode('Basic dXNlcjpwYXNz', 'malformed_token');
    await expectCode('Bearer not.a.jwt!', 'malformed_token');
    await expectCode('Bearer e30.e30.AAAA', 'malformed_token');
    const withJwk = await craftToken(northKey, {}, { jwk: { ...northKey.publicJwk } });
    await expectCode(`Bearer ${withJwk}`, 'malformed_token');
    const withJku = await craftToken(northKey, {}, { jku: 'http://127.0.0.1:1/jwks.json' });
    await expectCode(`Bearer ${withJku}`, 'malformed_token');
    const missingClaims = await craftToken(northKey, { bh: undefined });
    await expectCode(`Bearer ${missingClaims}`, 'malformed_token');
  });

  it('bad_algorithm: an HS256 token, even one "signed" with the public key', async () => {
    const secret = new TextEncoder().encode(northKey.publicJwk.x);
    const hs = await new SignJWT({ iss: 'north', aud: 'main' }).setProtectedHeader({ alg: 'HS256', kid: northKey.kid, typ: 'tieup-s2s-req+jwt' }).sign(secret);
    await expectCode(`Bearer ${hs}`, 'bad_algorithm');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'tieup-s2s-req+jwt' })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.x`;
    await expectCode(`Bearer ${none}`, 'bad_algorithm');
  });

  it('wrong_type: a response token cannot be used as a request', async () => {
    await expectCode(`Bearer ${await craftToken(northKey, {}, { typ: RESPONSE_TYP })}`, 'wrong_type');
  });

  it('unknown_key: a key the callee never pinned for that issuer', async () => {
    const stranger = await generateEd25519Jwk();
    const key: SigningKey = { kid: stranger.kid!, createdAt: '', retiresAt: null, publicJwk: stranger, privateKey: importEd25519(stranger) };
    await expectCode(`Bearer ${await craftToken(key, {})}`, 'unknown_key');
  });

  it('bad_signature: the pinned kid but another key signed it, or the payload was altered', async () => {
    const other = await generateEd25519Jwk();
    const impostor: SigningKey = { ...northKey, privateKey: importEd25519(other) };
    await expectCode(`Bearer ${await craftToken(impostor, {})}`, 'bad_signature');
    const good = await craftToken(northKey, {});
    const [h, , s] = good.split('.');
    const altered = Buffer.from(
      JSON.stringify({
        iss: 'north',
        aud: 'main',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
        jti: 'x',
        htm: 'POST',
        htu: '/s2s/hello',
        bh: bodyHash(Buffer.from('{}')),
      }),
    ).toString('base64url');
    await expectCode(`Bearer ${h}.${altered}.${s}`, 'bad_signature');
  });

  it('wrong_issuer: an issuer that is not enrolled', async () => {
    await expectCode(`Bearer ${await craftToken(northKey, { iss: 'nobody' })}`, 'wrong_issuer');
  });

  it('wrong_audience: a token meant for another site', async () => {
    await expectCode(`Bearer ${await craftToken(northKey, { aud: 'south' })}`, 'wrong_audience');
  });

  it('expired: exp more than 30 s in the past', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectCode(`Bearer ${await craftToken(northKey, { iat: now - 120, exp: now - 61 })}`, 'expired');
  });

  it('accepts a token up to 30 s past its expiry (clock skew), and refuses issued_in_future beyond 30 s', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lateButOk = await rawCall(mainUrl, { authorization: `Bearer ${await craftToken(northKey, { iat: now - 80, exp: now - 25 })}` });
    assert.equal(lateButOk.status, 200);
    const early = await rawCall(mainUrl, { authorization: `Bearer ${await craftToken(northKey, { iat: now + 20, exp: now + 70 })}` });
    assert.equal(early.status, 200);
    await expectCode(`Bearer ${await craftToken(northKey, { iat: now + 45, exp: now + 90 })}`, 'issued_in_future');
  });

  it('lifetime_too_long: exp more than 60 s after iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectCode(`Bearer ${await craftToken(northKey, { iat: now, exp: now + 61 })}`, 'lifetime_too_long');
  });

  it('replayed: the same token twice', async () => {
    const t = await craftToken(northKey, {});
    assert.equal((await rawCall(mainUrl, { authorization: `Bearer ${t}` })).status, 200);
    await expectCode(`Bearer ${t}`, 'replayed');
  });

  it('replayed: the same token ten times at once is accepted exactly once (checks committed together still see each other)', async () => {
    const t = await craftToken(northKey, {});
    const answers = await Promise.all(Array.from({ length: 10 }, () => rawCall(mainUrl, { authorization: `Bearer ${t}` })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    for (const a of answers.filter((x) => x.status === 401)) assert.equal(a.body?.error?.code, 'replayed');
  });

  it('a refused token does not burn its jti (the replay check is last)', async () => {
    // Other bytes than the default "{}", still the empty body peer.hello declares.
    const t = await craftToken(northKey, { bh: bodyHash(Buffer.from('{ }')) });
    await expectCode(`Bearer ${t}`, 'body_hash_mismatch');
    const ok = await rawCall(mainUrl, { authorization: `Bearer ${t}`, body: '{ }' });
    assert.equal(ok.status, 200);
  });

  it('body_hash_mismatch: the body was changed after signing', async () => {
    await expectCode(`Bearer ${await craftToken(northKey, {})}`, 'body_hash_mismatch', { body: '{"tampered":true}' });
  });

  it('method_mismatch and path_mismatch: a token for another method or path', async () => {
    await expectCode(`Bearer ${await craftToken(northKey, { htm: 'GET' })}`, 'method_mismatch');
    await expectCode(`Bearer ${await craftToken(northKey, { htu: '/s2s/keys/announce' })}`, 'path_mismatch');
    await expectCode(`Bearer ${await craftToken(northKey, { htu: '/s2s/hello' })}`, 'path_mismatch', { path: '/s2s/hello?x=1' });
  });

  it('counts refusals by code in /metrics', async () => {
    const text = await (await fetch(`${mainUrl}/metrics`)).text();
    for (const code of [
      'missing_token',
      'malformed_token',
      'bad_algorithm',
      'unknown_key',
      'bad_signature',
      'wrong_issuer',
      'wrong_audience',
      'expired',
      'issued_in_future',
      'replayed',
      'body_hash_mismatch',
      'method_mismatch',
      'path_mismatch',
    ]) {
      assert.match(text, new RegExp(`tieup_s2s_auth_failures_total\\{[^}]*code="${code}"[^}]*\\} [1-9]`), code);
    }
  });

  it('a suspended partner is refused at once, and accepted again when reactivated', async () => {
    const t1 = await craftToken(northKey, {});
    assert.equal((await rawCall(mainUrl, { authorization: `Bearer ${t1}` })).status, 200);
    net.main.ctx.peers.setStatus('north', 'suspended');
    await expectCode(`Bearer ${await craftToken(northKey, {})}`, 'wrong_issuer');
    // Its own outgoing calls are cut too.
    await assert.rejects(net.main.ctx.client.call('north', 'POST', '/s2s/hello', {}), { code: 'peer_suspended' });
    net.main.ctx.peers.setStatus('north', 'active');
    assert.equal((await rawCall(mainUrl, { authorization: `Bearer ${await craftToken(northKey, {})}` })).status, 200);
  });

  it('the same rules hold on a partner (south refuses a token for main)', async () => {
    const mainKey = (await loadKeyring(join(net.dir, 'keys'), 'main')).current;
    const r = await rawCall(net.partners.south!.url, { authorization: `Bearer ${await craftToken(mainKey, { iss: 'main', aud: 'main' })}` });
    assert.equal(r.status, 401);
    assert.equal(r.body?.error?.code, 'wrong_audience');
    const ok = await rawCall(net.partners.south!.url, { authorization: `Bearer ${await craftToken(mainKey, { iss: 'main', aud: 'south' })}` });
    assert.equal(ok.status, 200);
  });
});
