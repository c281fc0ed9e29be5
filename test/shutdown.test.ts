import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { loadKeyring } from '../common/keys/keystore.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { craftToken } from './helpers/tokens.js';
import { bodyHash } from '../common/s2s/tokens.js';

describe('graceful shutdown', () => {
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north']);
  });
  after(() => net.close());

  it('finishes a request in flight, refuses new connections, and closes the database', async () => {
    const key = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
    // Long enough to hold back its end, and still the empty body peer.hello declares.
    const body = '{' + ' '.repeat(1000) + '}';
    const token = await craftToken(key, { bh: bodyHash(Buffer.from(body)) });
    const url = new URL(net.main.url);
    // Start a request and hold back the end of its body while shutdown begins.
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/s2s/hello',
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 100));
      setTimeout(() => req.end(body.slice(100)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closing = net.main.close();
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(fetch(`${net.main.url}/healthz`), 'new connections are refused while closing');
    const r = await answered;
    assert.equal(r.status, 200, r.text);
    await closing;
    assert.equal(net.main.ctx.db.open, false);
  });
});
