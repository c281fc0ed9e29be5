import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyset } from '../common/keys/keystore.js';
import { startNetwork, tempDir, TEST_TOKEN, type TestNetwork } from './helpers/network.js';
import { runCli } from './helpers/cli.js';

describe('tieup CLI', () => {
  describe('keys', () => {
    const dir = tempDir();
    const keys = join(dir, 'keys');

    it('generates a key pair once, private file mode 0600, and leaves it alone after', async () => {
      const r = await runCli(['keys', 'generate', '--site', 'west', '--keys-dir', keys]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /generated key/);
      const ks = readKeyset(keys, 'west')!;
      const priv = join(keys, 'west', `${ks.current}.private.jwk`);
      assert.equal(statSync(priv).mode & 0o777, 0o600);
      assert.ok('d' in JSON.parse(readFileSync(priv, 'utf8')));
      assert.equal('d' in JSON.parse(readFileSync(join(keys, 'west', `${ks.current}.public.jwk`), 'utf8')), false);
      const again = await runCli(['keys', 'generate', '--site', 'west', '--keys-dir', keys]);
      assert.match(again.stdout, /already has keys/);
      assert.equal(readKeyset(keys, 'west')!.current, ks.current);
    });

    it('rotates: a new current key, the previous one kept with its retirement time', async () => {
      const before = readKeyset(keys, 'west')!;
      const r = await runCli(['keys', 'rotate', '--site', 'west', '--grace', '600', '--keys-dir', keys]);
      assert.equal(r.code, 0, r.stderr);
      const after = readKeyset(keys, 'west')!;
      assert.notEqual(after.current, before.current);
      const prev = after.keys.find((k) => k.kid === before.current)!;
      assert.ok(prev.retiresAt && Date.parse(prev.retiresAt) > Date.now() + 590_000);
      const show = await runCli(['keys', 'show', '--site', 'west', '--keys-dir', keys]);
      assert.match(show.stdout, new RegExp(`${after.current}\\s+current`));
    });

    it('refuses bad arguments with a usage error (exit 2)', async () => {
      assert.equal((await runCli(['keys', 'generate', '--keys-dir', keys])).code, 2);
      assert.equal((await runCli(['keys', 'generate', '--site', '../etc', '--keys-dir', keys])).code, 2);
      assert.equal((await runCli(['keys', 'rotate', '--site', 'west', '--grace', 'soon', '--keys-dir', keys])).code, 2);
      assert.equal((await runCli(['frobnicate'])).code, 2);
      assert.equal((await runCli(['keys', 'generate', '--bogus'])).code, 2);
    });
  });

  describe('partners', () => {
    let net: TestNetwork;
    before(async () => {
      net = await startNetwork(['north', 'south']);
    });
    after(() => net.close());
    const cli = (args: string[]) => runCli([...args, '--url', net.main.url], { TIEUP_TOKEN: TEST_TOKEN });

    it('partners check prints one OK line per pair with the skew, exit 0', async () => {
      const r = await cli(['partners', 'check']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 4);
      for (const pair of ['main -> north', 'north -> main', 'main -> south', 'south -> main']) {
        assert.match(r.stdout, new RegExp(`${pair}\\s+OK\\s+skew -?\\d+ ms`));
      }
    });

    it('partners check exits 1 and names the failure when a partner is down', async () => {
      const southUrl = net.partners.south!.url;
      net.main.ctx.peers.setBaseUrl('south', 'http://127.0.0.1:9');
      try {
        const r = await cli(['partners', 'check']);
        assert.equal(r.code, 1);
        assert.match(r.stdout, /main -> south\s+FAIL\s+peer_unreachable/);
        assert.match(r.stdout, /main -> north\s+OK/);
      } finally {
        net.main.ctx.peers.setBaseUrl('south', southUrl);
      }
    });

    it('partner suspend / list / activate', async () => {
      assert.equal((await cli(['partner', 'suspend', 'south'])).code, 0);
      const list = await cli(['partner', 'list']);
      assert.match(list.stdout, /south\s+suspended/);
      assert.match((await cli(['partners', 'check'])).stdout, /main -> south\s+SKIP/);
      assert.equal((await cli(['partner', 'activate', 'south'])).code, 0);
    });

    it('partner add reports the API error and exits 1', async () => {
      const r = await cli(['partner', 'add', '--id', 'west', '--base-url', 'http://127.0.0.1:9', '--thumbprint', 'A'.repeat(43)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /peer_unreachable/);
    });

    it('without a token it says how to give one', async () => {
      const r = await runCli(['partner', 'list', '--url', net.main.url]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /TIEUP_TOKEN/);
    });
  });
});
