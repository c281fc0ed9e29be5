import assert from 'node:assert/strict';
import { describe, it, before, after } from 'mocha';
import { request } from 'undici';
import { profile, startCoordNetwork, type CoordNetwork } from './helpers/coord.js';

/** The start banner prints each coordination peer's address: opening it must lead to its console, not a bare 404. */
describe('coordination peers: the root address leads to the console', function () {
  this.timeout(60_000);
  let net: CoordNetwork;

  before(async () => {
    net = await startCoordNetwork({ grocers: { grocer: profile('Grocer', []) } });
  });
  after(async () => net?.close());

  it('GET / on the supplier-only site, the delivery service and the settlement agent redirects to /manage; other paths still 404', async () => {
    for (const site of [net.grocers.grocer!, net.delivery, net.settlement]) {
      const r = await request(`${site.url}/`);
      await r.body.dump();
      assert.equal(r.statusCode, 302, site.url);
      assert.equal(r.headers.location, '/manage');
      const other = await request(`${site.url}/no-such-page`);
      await other.body.dump();
      assert.equal(other.statusCode, 404);
    }
  });
});
