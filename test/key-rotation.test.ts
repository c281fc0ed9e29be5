import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompactSign } from 'jose';
import { generateEd25519Jwk, importEd25519 } from '../common/keys/jwk.js';
import { loadKeyring, readKeyset, rotateSiteKeys, type SigningKey } from '../common/keys/keystore.js';
import { PEER_HELLO } from '../common/protocol/index.js';
import { bodyHash } from '../common/s2s/tokens.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { craftToken, rawCall } from './helpers/tokens.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('key rotation: announced over the authenticated channel, old key valid only through its grace', () => {
  let net: TestNetwork;
  let oldKey: SigningKey;

  before(async () => {
    net = await startNetwork(['north']);
    oldKey = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
  });
  after(() => net.close());

  it('an announcement signed by a key the peer does not trust is refused and changes nothing', async () => {
    const stranger = await generateEd25519Jwk();
    const strangerKey: SigningKey = { kid: stranger.kid!, createdAt: '', retiresAt: null, publicJwk: stranger, privateKey: importEd25519(stranger) };
    const body = JSON.stringify({ key: { kty: 'OKP', crv: 'Ed25519', x: stranger.x }, proof: 'x.y.z', previousValidUntil: new Date().toISOString() });
    const t = await craftToken(strangerKey, { htu: '/s2s/keys/announce', bh: bodyHash(Buffer.from(body)) });
    const r = await rawCall(net.main.url, { path: '/s2s/keys/announce', body, authorization: `Bearer ${t}` });
    assert.equal(r.status, 401);
    assert.equal(r.body?.error?.code, 'unknown_key');
    assert.equal(net.main.ctx.peers.keys('north').length, 1);
  });

  it('an announcement from the trusted key but without proof of the new key is refused', async () => {
    const other = await generateEd25519Jwk();
    const wrongSigner = await generateEd25519Jwk();
    const proof = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: 'north', aud: 'main', kid: other.kid, iat: Math.floor(Date.now() / 1000) })))
      .setProtectedHeader({ alg: 'EdDSA', kid: other.kid!, typ: 'tieup-key-proof+jwt' })
      .sign(importEd25519(wrongSigner));
    const body = JSON.stringify({ key: { kty: 'OKP', crv: 'Ed25519', x: other.x }, proof, previousValidUntil: new Date().toISOString() });
    const t = await craftToken(oldKey, { htu: '/s2s/keys/announce', bh: bodyHash(Buffer.from(body)) });
    const r = await rawCall(net.main.url, { path: '/s2s/keys/announce', body, authorization: `Bearer ${t}` });
    assert.equal(r.status, 400);
    assert.equal(r.body?.error?.code, 'invalid_announcement');
    assert.deepEqual(
      net.main.ctx.peers.keys('north').map((k) => k.thumbprint),
      [oldKey.kid],
    );
  });

  it('rotating on disk makes the running partner announce; the new key works, the old one works until the grace ends', async () => {
    const { newKid } = await rotateSiteKeys(join(net.dir, 'keys'), 'north', 2);
    // The running site notices the keyset change and announces, signed with the old key.
    await until(() => net.main.ctx.peers.key('north', newKid) !== undefined);
    await until(() => net.partners.north!.ctx.peers.get('main')!.ackedKid === newKid);
    const newKey = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
    assert.equal(newKey.kid, newKid);
    assert.equal((await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(newKey, {})}` })).status, 200);
    assert.equal((await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(oldKey, {})}` })).status, 200, 'old key accepted during grace');
    // The partner itself now signs with the new key.
    const r = await net.partners.north!.ctx.client.send('main', PEER_HELLO, {});
    assert.equal(r.body.caller.kid, newKid);
    await sleep(2300);
    const late = await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(oldKey, {})}` });
    assert.equal(late.status, 401, 'old key rejected after grace');
    assert.equal(late.body?.error?.code, 'unknown_key');
    assert.equal((await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(newKey, {})}` })).status, 200);
  });

  it('the JWKS endpoint lists current and in-grace keys, and never a private member', async () => {
    const jwks = (await (await fetch(`${net.partners.north!.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    const ks = readKeyset(join(net.dir, 'keys'), 'north')!;
    assert.ok(jwks.keys.some((k) => k.kid === ks.current));
    for (const k of jwks.keys) {
      assert.equal(k.kty, 'OKP');
      assert.equal(k.crv, 'Ed25519');
      assert.equal('d' in k, false);
    }
  });
});
