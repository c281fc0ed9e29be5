import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../common/config.js';
import { loadNetworkConfig } from '../cli/network-config.js';
import { tempDir } from './helpers/network.js';

describe('configuration from TIEUP_* variables and TIEUP_CONFIG', () => {
  it('applies defaults for everything but the site id', () => {
    const c = loadNetworkConfig('partner', { TIEUP_SITE_ID: 'north' });
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
    assert.match(c.dbFile, /data\/north\.sqlite$/);
    assert.equal(c.keyGraceSeconds, 86400);
  });

  it('reports one clear message per bad value, naming the variable', () => {
    try {
      loadNetworkConfig('main', { TIEUP_PORT: 'eighty', TIEUP_LOG_LEVEL: 'loud', TIEUP_KEY_GRACE_SECONDS: '-5', TIEUP_COOKIE_SECURE: 'maybe', TIEUP_PUBLIC_URL: 'not a url' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      for (const v of ['TIEUP_SITE_ID', 'TIEUP_PORT', 'TIEUP_LOG_LEVEL', 'TIEUP_KEY_GRACE_SECONDS', 'TIEUP_COOKIE_SECURE', 'TIEUP_PUBLIC_URL']) assert.match(text, new RegExp(v));
      assert.equal(err.problems.length, 6);
      assert.match(text, /TIEUP_PORT: .*\(got "eighty"\)/);
    }
  });

  it('reads a TIEUP_CONFIG JSON file, the environment overriding it, and rejects unknown keys', () => {
    const dir = tempDir();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ siteId: 'south', port: 4002, logLevel: 'warn' }));
    const c = loadNetworkConfig('partner', { TIEUP_CONFIG: file, TIEUP_PORT: '4100' });
    assert.equal(c.siteId, 'south');
    assert.equal(c.port, 4100);
    assert.equal(c.logLevel, 'warn');
    writeFileSync(file, JSON.stringify({ siteId: 'south', prot: 1 }));
    assert.throws(() => loadNetworkConfig('partner', { TIEUP_CONFIG: file }), /unknown key "prot"/);
    writeFileSync(file, '{ not json');
    assert.throws(() => loadNetworkConfig('partner', { TIEUP_CONFIG: file }), /cannot read it as JSON/);
  });
});
