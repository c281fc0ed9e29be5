import assert from 'node:assert/strict';
import { CompactSign } from 'jose';
import { generateEd25519Jwk, importEd25519 } from '../common/keys/jwk.js';
import { PEER_HELLO } from '../common/protocol/index.js';
import { RESPONSE_TYP } from '../common/s2s/tokens.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { startTamperProxy, type Upstream } from './helpers/tamper-proxy.js';

describe('s2s client: an answer the peer did not sign for this very call is an error, never a success', () => {
  let net: TestNetwork;
  let proxy: Awaited<ReturnType<typeof startTamperProxy>>;
  const passThrough = (u: Upstream) => u;

  before(async () => {
    net = await startNetwork(['north']);
    proxy = await startTamperProxy(net.partners.north!.url, passThrough);
    // main reaches north only through the proxy from now on.
    net.main.ctx.peers.setBaseUrl('north', proxy.url);
  });
  beforeEach(() => proxy.setTamper(passThrough));
  after(async () => {
    await proxy.close();
    await net.close();
  });

  const hello = () => net.main.ctx.client.send('north', PEER_HELLO, {});

  it('passes an untouched signed answer through', async () => {
    const r = await hello();
    assert.equal(r.status, 200);
    assert.equal(r.body.callee.id, 'north');
  });

  it('response_unsigned: the signature header was stripped', async () => {
    proxy.setTamper((u) => ({ ...u, headers: {} }));
    await assert.rejects(hello(), { code: 'response_unsigned' });
  });

  it('response_body_mismatch: the body was changed in transit', async () => {
    proxy.setTamper((u) => ({ ...u, body: Buffer.from(u.body.toString().replace('"north"', '"evil"')) }));
    await assert.rejects(hello(), { code: 'response_body_mismatch' });
  });

  it('response_unbound: a genuine earlier answer replayed for a new request', async () => {
    let saved: Upstream | undefined;
    proxy.setTamper((u) => {
      saved = u;
      return u;
    });
    await hello();
    proxy.setTamper(() => saved!);
    await assert.rejects(hello(), { code: 'response_unbound' });
  });

  it('response_unbound: the status was changed (a signed error passed off as success)', async () => {
    proxy.setTamper((u) => ({ ...u, status: 201 }));
    await assert.rejects(hello(), { code: 'response_unbound' });
  });

  it('response_bad_signature: an answer forged with a key the caller never pinned', async () => {
    const forger = await generateEd25519Jwk();
    const key = importEd25519(forger);
    proxy.setTamper(async (u) => {
      const orig = JSON.parse(Buffer.from(String(u.headers['tieup-response-token']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(orig))).setProtectedHeader({ alg: 'EdDSA', kid: forger.kid!, typ: RESPONSE_TYP }).sign(key);
      return { ...u, headers: { 'tieup-response-token': token } };
    });
    await assert.rejects(hello(), { code: 'response_bad_signature' });
  });

  it('response_malformed: a request token passed off as a response', async () => {
    proxy.setTamper((u) => ({ ...u, headers: { 'tieup-response-token': 'abc.def.ghi' } }));
    await assert.rejects(hello(), { code: 'response_malformed' });
  });

  it('peer_rejected: the peer refused our token, with its code', async () => {
    net.partners.north!.ctx.peers.setStatus('main', 'suspended');
    try {
      await assert.rejects(hello(), (err: { code: string; details: { peerCode: string } }) => {
        assert.equal(err.code, 'peer_rejected');
        assert.equal(err.details.peerCode, 'wrong_issuer');
        return true;
      });
    } finally {
      net.partners.north!.ctx.peers.setStatus('main', 'active');
    }
  });

  it('peer_unreachable: nobody listens at the base URL', async () => {
    net.main.ctx.peers.setBaseUrl('north', 'http://127.0.0.1:9');
    try {
      await assert.rejects(hello(), { code: 'peer_unreachable' });
    } finally {
      net.main.ctx.peers.setBaseUrl('north', proxy.url);
    }
  });

  it('peer_unknown: calling a site that is not enrolled', async () => {
    await assert.rejects(net.main.ctx.client.call('ghost', 'POST', '/s2s/hello', {}), { code: 'peer_unknown' });
  });
});
