import assert from 'node:assert/strict';
import { AppError } from '../common/errors.js';
import { fillDisk, freeDisk } from './helpers/disk-full.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper } from './helpers/shopper.js';

/**
 * A key and its charge commit in one SQLite transaction with its key_issued
 * entry (docs/paid-content.md, "Atomicity"): a disk that refuses the key
 * issues nothing, charges nothing and logs nothing; a disk that refuses only
 * the log keeps the key and writes its entry, once, when space is back.
 */
describe('paid keys with a full disk at the main site: no key, no charge, no entry; then one entry per key', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let userId: string;
  let n = 0;
  const idem = () => `disk-full-key-${String(++n).padStart(8, '0')}`;
  const keyIds = async () => ((await api(net.main.url, 'GET', '/admin/api/paid/keys')).body.keys as { id: string }[]).map((k) => k.id).sort();
  const loggedKeyIds = () =>
    net.main.ctx.logStore
      .lines(0, 1_000_000)
      .map((l) => JSON.parse(l) as { type: string; session: string | null })
      .filter((e) => e.type === 'key_issued')
      .map((e) => e.session!)
      .sort();

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }]);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'paid items' })).status, 201);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/north/push', {})).body.outcome, 'active');
    const shopper = new Shopper(net.partners.north!.url);
    assert.equal((await shopper.register('reader@example.org', 'a long enough passphrase')).status, 303);
    userId = (await api(net.main.url, 'GET', '/admin/api/users')).body.users[0].id;
  });
  after(() => net.close());

  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err instanceof AppError ? err.code : String(err);
    }
    return 'issued';
  };
  const chargeCount = async () => ((await api(net.partners.north!.url, 'GET', '/manage/api/paid/charges')).body.charges as unknown[]).length;

  it('a disk that refuses the key rows: no key, no charge on either site, no entry', async () => {
    const north = net.partners.north!;
    const first = await north.paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    net.main.ctx.log.flush();
    assert.deepEqual(loggedKeyIds(), [first.keyId]);
    const chargesBefore = await chargeCount();

    // Only the key table fails: the request gets past the s2s replay cache to the key's own commit.
    fillDisk(net.main.ctx.db, ['paid_keys']);
    let code: string;
    try {
      code = await refusal(north.paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem()));
    } finally {
      freeDisk(net.main.ctx.db);
    }
    assert.notEqual(code, 'issued', 'no key is issued while the main site cannot store it');
    net.main.ctx.log.flush();
    assert.deepEqual(await keyIds(), [first.keyId], 'no key row');
    assert.deepEqual(loggedKeyIds(), [first.keyId], 'no entry for the refused key');
    assert.equal(await chargeCount(), chargesBefore, 'north charged its member nothing');
  });

  it('a disk that refuses the log only: the key stands, its entry waits in order and is written once space is back', async () => {
    const north = net.partners.north!;
    fillDisk(net.main.ctx.db, ['log_entries']);
    let issued;
    try {
      issued = await north.paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
      assert.ok((await keyIds()).includes(issued.keyId), 'the key row is committed');
      assert.ok(!loggedKeyIds().includes(issued.keyId), 'its entry is not written yet');
    } finally {
      freeDisk(net.main.ctx.db);
    }
    net.main.ctx.log.flush();
    const keys = await keyIds();
    assert.equal(keys.length, 2);
    assert.deepEqual(loggedKeyIds(), keys, 'exactly one key_issued entry per stored key');
  });
});
