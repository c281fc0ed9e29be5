import assert from 'node:assert/strict';
import type { ModuleDescription, SiteDescription } from '../common/site/describe.js';
import { runCli } from './helpers/cli.js';

describe('tieup modules', () => {
  let sites: Record<'main' | 'partner', SiteDescription>;
  const mod = (site: 'main' | 'partner', name: string): ModuleDescription => {
    const m = sites[site].modules.find((x) => x.name === name);
    assert.ok(m, `the ${site} site has a ${name} module`);
    return m;
  };

  before(async () => {
    const r = await runCli(['modules', '--json']);
    assert.equal(r.code, 0, r.stderr);
    sites = JSON.parse(r.stdout) as typeof sites;
  });

  it('lists both kinds of site, every module named and every navigation path absolute', () => {
    assert.deepEqual(Object.keys(sites).sort(), ['main', 'partner']);
    for (const site of Object.values(sites)) {
      assert.ok(site.modules.length > 0);
      for (const m of [site.ground, ...site.modules]) {
        assert.match(m.name, /\S/);
        for (const n of m.nav) {
          assert.match(n.path, /^\//, `${site.role} ${m.name}: ${n.path}`);
          assert.equal(n.href, site.consoleBase + n.path);
        }
      }
    }
    assert.deepEqual(
      sites.main.modules.map((m) => m.name),
      ['site', 'sync', 'logs', 'fees', 'shop', 'users', 'notices', 'planned', 'portal', 'paid', 'paid-reports', 'planned-shares', 'counts', 'coord', 'shopper-orders', 'ads', 'news'],
    );
  });

  it("shows the sync module's navigation entry, s2s and console routes, job, migrations and configuration keys", () => {
    const sync = mod('main', 'sync');
    assert.deepEqual(sync.nav, [{ path: '/sync', title: 'Tie-up sync', href: '/admin/sync' }]);
    assert.ok(sync.s2s.includes('POST /s2s/sync/report'), sync.s2s.join('\n'));
    assert.ok(sync.s2s.includes('POST /s2s/sync/decision'));
    assert.ok(sync.consoleApi.includes('POST /admin/api/releases'));
    assert.deepEqual(sync.jobs, [{ name: 'drift-check', schedule: '0 */5 * * * *' }]);
    assert.deepEqual(sync.migrations, [{ namespace: 'sync', files: ['001_releases.sql', '002_rollback.sql'] }]);
    assert.ok(sync.config.some((c) => c.key === 'contentDir' && c.env === 'TIEUP_CONTENT_DIR' && c.default === 'content'));
    assert.deepEqual(
      sync.cli.map((c) => c.name),
      ['publish', 'push', 'sync status', 'deliveries'],
    );

    const partnerSync = mod('partner', 'sync');
    assert.deepEqual(
      partnerSync.nav.map((n) => n.href),
      ['/manage/sync'],
    );
    assert.ok(partnerSync.s2s.includes('POST /s2s/sync/offer'), partnerSync.s2s.join('\n'));
  });

  it("shows the fees module's migrations and commands, and where each key and command lives", () => {
    const fees = mod('main', 'fees');
    assert.deepEqual(fees.migrations, [{ namespace: 'fees', files: ['001_fees.sql', '002_partnership_type_in_sync_terms.sql'] }]);
    assert.ok(fees.s2s.includes('POST /s2s/fees/statement'));
    assert.deepEqual(
      fees.cli.map((c) => c.name),
      ['fees recompute', 'fees statements', 'fees close'],
    );
    assert.deepEqual(
      mod('partner', 'shop').config.map((c) => c.env),
      ['TIEUP_SHOP_STATE_MS', 'TIEUP_SHOP_SETTLE_MS'],
    );
    assert.deepEqual(
      mod('partner', 'site').cli.map((c) => c.name),
      ['main set', 'main show'],
    );
    assert.ok(sites.main.ground.s2s.includes('POST /s2s/hello'));
    assert.ok(sites.main.ground.config.some((c) => c.env === 'TIEUP_SITE_ID'));
    assert.ok(sites.main.ground.cli.some((c) => c.name === 'keys generate'));
    assert.ok(mod('main', 'users').jobs.some((j) => j.name === 'shopper-sessions'));
  });

  it('prints the same listing for people', async () => {
    const r = await runCli(['modules']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^main site \(console at \/admin\)$/m);
    assert.match(r.stdout, /^ {2}sync\n {4}nav +\/sync {2}Tie-up sync {2}\(\/admin\/sync\)$/m);
    assert.match(r.stdout, /^ {4}migrations +fees: 001_fees\.sql, 002_partnership_type_in_sync_terms\.sql$/m);
    assert.match(r.stdout, /^partner site \(console at \/manage\)$/m);
  });
});
