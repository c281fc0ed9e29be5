import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadKeyring } from '../common/keys/keystore.js';
import { startMainSite } from '../main-site/server.js';
import { siteConfig, startNetwork, type TestNetwork } from './helpers/network.js';
import { craftToken, rawCall } from './helpers/tokens.js';

describe('replay cache survives a restart', () => {
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north']);
  });
  after(() => net.close());

  it('a token used before the main site restarted is refused as replayed after it', async () => {
    const key = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
    const token = await craftToken(key, {});
    assert.equal((await rawCall(net.main.url, { authorization: `Bearer ${token}` })).status, 200);
    const port = Number(new URL(net.main.url).port);
    await net.main.close();
    net.main = await startMainSite(siteConfig('main', 'main', net.dir, { port }), { defaultMetrics: false });
    const again = await rawCall(net.main.url, { authorization: `Bearer ${token}` });
    assert.equal(again.status, 401);
    assert.equal(again.body?.error?.code, 'replayed');
    // A fresh token still works: the restart kept enrolment and keys.
    assert.equal((await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(key, {})}` })).status, 200);
  });
});
