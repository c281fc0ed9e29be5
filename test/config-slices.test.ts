import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, loadSliceConfig } from '../common/config.js';
import { siteConfigSlices } from '../common/site/host.js';
import { loadNetworkConfig, NETWORK_CONFIG_SLICES } from '../cli/network-config.js';
import { defineConfigSlice, intFromString } from '../common/config-slice.js';
import { MAIN_SITE, startMainSite } from '../main-site/server.js';
import { syncModule as mainSync } from '../main-site/sync/index.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { logsModule as partnerLogs } from '../partner-site/logs/index.js';
import { shopModule as partnerShop } from '../partner-site/shop/index.js';
import { tempDir } from './helpers/network.js';

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('should throw a ConfigError');
}

describe("configuration composed from the modules' slices", () => {
  it("reads a module's key from the environment by its env name, and names that variable for a bad value", () => {
    assert.ok('shopStateMs' in partnerShop.config!.shape, 'the partner shop module declares shopStateMs');
    const c = loadNetworkConfig('partner', { TIEUP_SITE_ID: 'north', TIEUP_SHOP_STATE_MS: '2500', TIEUP_PUSH_CONCURRENCY: '7' });
    assert.equal(c.shopStateMs, 2500);
    assert.equal(c.pushConcurrency, 7);
    assert.equal(c.keepReleases, 5);

    const problems = problemsOf(() => loadNetworkConfig('main', { TIEUP_SITE_ID: 'main', TIEUP_SHOP_STATE_MS: 'soon', TIEUP_PUSH_CONCURRENCY: '0', TIEUP_WATCH_CONTENT: 'maybe' }));
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems.join('\n'), /^TIEUP_SHOP_STATE_MS: must be a number \(got "soon"\)$/m);
    assert.match(problems.join('\n'), /^TIEUP_PUSH_CONCURRENCY: must be at least 1 \(got "0"\)$/m);
    assert.match(problems.join('\n'), /^TIEUP_WATCH_CONTENT: must be true or false \(got "maybe"\)$/m);
  });

  it("resolves a slice's folders, defaults included, and accepts its keys in the TIEUP_CONFIG file", () => {
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ siteId: 'north', originalDir: 'mine', logShipMs: 250 }));
    const c = loadNetworkConfig('partner', { TIEUP_CONFIG: file });
    assert.equal(c.originalDir, join(process.cwd(), 'mine'));
    assert.equal(c.contentDir, join(process.cwd(), 'content'));
    assert.equal(c.logShipMs, 250);
  });

  it("runs a slice's cross-key check, naming both variables", () => {
    assert.ok(partnerLogs.config?.check, 'the partner logs slice checks its batch against the checkpoint interval');
    const problems = problemsOf(() => loadNetworkConfig('partner', { TIEUP_SITE_ID: 'north', TIEUP_LOG_CHECKPOINT_ENTRIES: '600', TIEUP_LOG_SHIP_BATCH: '500' }));
    assert.deepEqual(problems, ['TIEUP_LOG_CHECKPOINT_ENTRIES (600) must not exceed TIEUP_LOG_SHIP_BATCH (500): every shipment ends at a signed checkpoint']);
  });

  it('composes exactly the slices it is given', () => {
    const widgets = defineConfigSlice({ widgetLimit: intFromString(1, 9).default(3), widgetName: z.string().min(1).default('gear') });
    const c = loadSliceConfig('main', { TIEUP_SITE_ID: 'main', TIEUP_WIDGET_LIMIT: '4' }, {}, [widgets]);
    assert.equal(c.widgetLimit, 4);
    assert.equal(c.widgetName, 'gear');
    assert.equal('contentDir' in c, false);
    assert.deepEqual(
      problemsOf(() => loadSliceConfig('main', { TIEUP_SITE_ID: 'main', TIEUP_WIDGET_LIMIT: '12' }, {}, [widgets])),
      ['TIEUP_WIDGET_LIMIT: must be at most 9 (got "12")'],
    );

    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ siteId: 'main', widgetLimit: 2 }));
    assert.equal(loadSliceConfig('main', { TIEUP_CONFIG: file }, {}, [widgets]).widgetLimit, 2);
    assert.throws(() => loadNetworkConfig('main', { TIEUP_CONFIG: file }), /unknown key "widgetLimit"/);
  });

  it('refuses two slices declaring one key with different schemas', () => {
    const a = defineConfigSlice({ widgetLimit: intFromString(1, 9).default(3) });
    const b = defineConfigSlice({ widgetLimit: intFromString(1, 99).default(3) });
    assert.throws(() => loadSliceConfig('main', { TIEUP_SITE_ID: 'main' }, {}, [a, b]), /"widgetLimit" is declared twice/);
  });

  it("collects each site's slices from its module list, and the network's from both", () => {
    assert.ok(siteConfigSlices(MAIN_SITE).includes(mainSync.config!));
    assert.ok(!siteConfigSlices(MAIN_SITE).includes(partnerShop.config!), 'a main site loads no partner-only slice');
    assert.deepEqual(new Set(NETWORK_CONFIG_SLICES), new Set([...siteConfigSlices(MAIN_SITE), ...siteConfigSlices(PARTNER_SITE)]));
    // A site process takes only its own keys from its configuration file.
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ siteId: 'main', shopStateMs: 2000 }));
    assert.throws(() => loadConfig('main', { TIEUP_CONFIG: file }, {}, siteConfigSlices(MAIN_SITE)), /unknown key "shopStateMs"/);
    assert.equal(loadConfig('partner', { TIEUP_CONFIG: file }, {}, siteConfigSlices(PARTNER_SITE)).shopStateMs, 2000);
  });

  it("starts no site whose configuration lacks one of its modules' slices", async () => {
    const groundOnly = loadConfig('main', { TIEUP_SITE_ID: 'main' }, {}, []);
    await assert.rejects(startMainSite(groundOnly), /lacks the sync module's keys \(contentDir, templatesDir, .*\)/);
  });
});
