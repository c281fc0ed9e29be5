import assert from 'node:assert/strict';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper } from './helpers/shopper.js';

const PASSWORD = 'a long enough passphrase';

describe('shop when the main site is down: a plain message, nothing half-made; a user copy only where the contract grants it', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  const north = () => net.partners.north!;
  const south = () => net.partners.south!;

  before(async () => {
    net = await startSyncNetwork([
      { id: 'north', contract: { shop: { handling: { default: 'entrust' } } } },
      { id: 'south', contract: { shop: { handling: { default: 'entrust' } }, users: { userCopy: true } } },
    ]);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'shop' })).status, 201);
    for (const id of ['north', 'south']) await api(net.main.url, 'POST', `/admin/api/partners/${id}/push`, {});
    await north().shop.refreshFromMain();
    await south().shop.refreshFromMain();
  });
  after(() => net.close());

  it('keeps the user copy only on the partner whose contract grants it: the scrypt hash and profile, never the password', async () => {
    const a = new Shopper(north().url);
    assert.equal((await a.register('north@example.org', PASSWORD)).status, 303);
    const b = new Shopper(south().url);
    assert.equal((await b.register('south@example.org', PASSWORD)).status, 303);
    assert.equal(north().shop.store.userCopies(), 0);
    const copy = south().shop.store.userCopy('south@example.org')!;
    assert.match(copy.passwordHash, /^scrypt\$/);
    assert.ok(!copy.passwordHash.includes(PASSWORD));
    // Logging in on south refreshes the copy of an account made elsewhere.
    assert.equal((await new Shopper(south().url).login('north@example.org', PASSWORD)).status, 303);
    assert.ok(south().shop.store.userCopy('north@example.org'));
  });

  it('main site down: the shopper is told plainly, no order anywhere, the cart is kept; logins work only from a granted copy', async () => {
    const s = new Shopper(north().url);
    assert.equal((await s.login('north@example.org', PASSWORD)).status, 303);
    assert.equal((await s.add('tent-2p')).status, 303);
    const f = await s.openCheckout('central');
    const mainPort = Number(new URL(net.main.url).port);
    await net.main.close();
    const res = await s.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: f.csrf, group: 'central', key: f.key, total: f.total, settlement: 'pay_on_delivery', name: 'N', street: 'S', postcode: 'P', city: 'C', country: 'D' });
    assert.equal(res.status, 503);
    assert.match(res.text, /We could not reach the central warehouse to confirm your order, so nothing was ordered or charged/);
    assert.equal(north().shop.store.list().length, 0, 'north keeps nothing half-made');
    assert.match((await s.agent.get('/cart').expect(200)).text, /Trail tent, 2 persons/, 'the cart is kept for a retry');
    assert.match((await s.agent.get('/account').expect(200)).text, /No orders yet/);

    // No copy on north: the login cannot be checked and the shopper is told why.
    const offline = await new Shopper(north().url).login('north@example.org', PASSWORD);
    assert.equal(offline.status, 503);
    assert.match(offline.text, /account service is unreachable/);
    // South holds a copy by contract: the right password works, a wrong one does not.
    assert.equal((await new Shopper(south().url).login('south@example.org', PASSWORD)).status, 303);
    assert.equal((await new Shopper(south().url).login('south@example.org', 'not the password at all')).status, 401);
    assert.equal((await new Shopper(south().url).login('nobody@example.org', PASSWORD)).status, 503);
    assert.ok(mainPort > 0);
  });
});
