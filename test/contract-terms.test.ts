import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { ContractTerms, defineTermsSlice, readTerms } from '../common/contract/terms.js';
import { S2SCallError } from '../common/s2s/client.js';
import { siteMigrations, siteTerms } from '../common/site/host.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { readSyncTerms } from '../common/sync/terms.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { siteConfig, startSite, tempDir } from './helpers/network.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

type Json = Record<string, unknown>;

describe('contract terms: one strict, versioned slice per capability', () => {
  const terms = siteTerms(MAIN_SITE);

  it('each capability of the site declares its slice; the main site and partners know the same ones', () => {
    assert.deepEqual(
      terms.slices.map((s) => [s.key, s.version]),
      [
        ['sync', 1],
        ['shop', 1],
        ['users', 1],
        ['news', 1],
      ],
    );
    assert.deepEqual(
      siteTerms(PARTNER_SITE)
        .slices.map((s) => s.key)
        .sort(),
      ['news', 'shop', 'sync', 'users'],
    );
  });

  it('writes complete slices: the given fields, defaults for the rest, and the version', () => {
    const c = terms.initial({ sync: { requiresApproval: true } });
    assert.deepEqual(c, {
      sync: { v: 1, partnershipType: 'content', requiresApproval: true, emergencyEdit: false, freezeWindows: [] },
      shop: { v: 1, handling: { default: 'entrust', rules: [] }, consult: { checkStock: true, warehouse: 'partner', handlingFee: 0 } },
      users: { v: 1, userCopy: false },
      news: { v: 1, shopperData: false },
    });
  });

  it('reads strictly: absent is not corrupt, and nothing is filled in on read', () => {
    const stored = terms.initial({});
    assert.deepEqual(readSyncTerms({}), { ok: true, terms: null });
    const ok = readSyncTerms(stored);
    assert.ok(ok.ok && ok.terms?.partnershipType === 'content');
    const { freezeWindows: _f, ...incomplete } = stored.sync as Json;
    const missing = readSyncTerms({ sync: incomplete });
    assert.deepEqual(missing, { ok: false, problem: 'sync.freezeWindows: missing (stored terms are complete; defaults apply only when terms are written)' });
    assert.deepEqual(readSyncTerms({ sync: { ...(stored.sync as Json), requiresApproval: 'yes' } }), { ok: false, problem: 'sync.requiresApproval: Invalid input: expected boolean, received string' });
    assert.deepEqual(readSyncTerms({ sync: { ...(stored.sync as Json), requiresAproval: true } }), { ok: false, problem: 'sync.requiresAproval: unknown field' });
    assert.match((readSyncTerms({ sync: { partnershipType: 'content' } }) as { problem: string }).problem, /^sync\.v: missing/);
    assert.match((readSyncTerms({ sync: { ...(stored.sync as Json), v: 2 } }) as { problem: string }).problem, /^sync\.v: version 2 is newer than this site reads/);
    assert.deepEqual(terms.problems({ ...stored, syncc: {} }), ['syncc: no capability of this site owns this key']);
  });

  it("an older stored version is read through the slice's migration, and refused without one", () => {
    const schema = z.object({ limit: z.number().int(), unit: z.enum(['pages', 'bytes']).default('pages') }).strict();
    const v2 = defineTermsSlice({ key: 'quota', version: 2, schema, whenAbsent: 'no quota', migrate: (old) => ({ limit: old.max, unit: 'pages' }) });
    assert.deepEqual(readTerms({ quota: { v: 1, max: 10 } }, v2), { ok: true, terms: { limit: 10, unit: 'pages' } });
    const { migrate: _m, ...noMigration } = v2;
    assert.match((readTerms({ quota: { v: 1, max: 10 } }, noMigration) as { problem: string }).problem, /version 1 is older than 2/);
    assert.throws(() => new ContractTerms([v2, v2]), /two capabilities declare contract terms under "quota"/);
  });
});

describe('contract terms on the wire and at rest: refused when written wrong, reported when stored wrong', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  const main = () => net.main.url;
  const partner = async (id: string) => (await api(main(), 'GET', `/admin/api/partners/${id}`)).body;
  let n = 0;
  const publish = async () => {
    n++;
    net.write('pages/terms.md', pageText('Terms', `terms-${n}`));
    assert.equal((await api(main(), 'POST', '/admin/api/releases', { note: `terms ${n}` })).status, 201);
  };
  const push = async (id: string) => (await api(main(), 'POST', `/admin/api/partners/${id}/push`, {})).body;

  before(async () => {
    net = await startSyncNetwork([
      { id: 'north', contract: { shop: { handling: { default: 'entrust', rules: [{ category: 'kitchen', mode: 'local' }] } }, users: { userCopy: true } } },
      { id: 'south' },
    ]);
    await publish();
    assert.equal((await push('north')).outcome, 'active');
  });
  after(() => net.close());

  it('a misspelt field is refused on PATCH with its path named, and nothing is stored (not even the other fields of the request)', async () => {
    const before = await partner('north');
    const r = await api(main(), 'PATCH', '/admin/api/partners/north', { baseUrl: 'http://127.0.0.1:9', contract: { sync: { requiresAproval: true }, shop: { handling: { default: 'forward' } } } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_contract');
    assert.ok(r.body.error.details.problems.includes('contract.sync.requiresAproval: unknown field'), JSON.stringify(r.body));
    assert.ok(
      r.body.error.details.problems.some((p: string) => p.startsWith('contract.shop.handling.default: ')),
      JSON.stringify(r.body),
    );
    const after = await partner('north');
    assert.deepEqual(after.contract, before.contract);
    assert.equal(after.baseUrl, before.baseUrl);
    assert.equal(after.updatedAt, before.updatedAt);
  });

  it('a key no capability owns is refused, on PATCH and at enrolment', async () => {
    const r = await api(main(), 'PATCH', '/admin/api/partners/north', { contract: { fees: { partnershipType: 'link' } } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_contract');
    assert.match(r.body.error.details.problems[0], /^contract\.fees: no capability owns this key/);
    const e = await api(main(), 'POST', '/admin/api/partners', { id: 'west', baseUrl: 'http://127.0.0.1:9', thumbprint: 'A'.repeat(43), contract: { partnershipType: 'content' } });
    assert.equal(e.status, 400);
    assert.match(e.body.error.details.problems[0], /^contract\.partnershipType: no capability owns this key/);
    assert.equal((await api(main(), 'GET', '/admin/api/partners/west')).status, 404);
  });

  it('a valid PATCH of one slice replaces that slice wholesale and leaves the others untouched', async () => {
    const before = (await partner('north')).contract;
    const r = await api(main(), 'PATCH', '/admin/api/partners/north', { contract: { shop: { consult: { warehouse: 'east' } } } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.contract.shop, { v: 1, handling: { default: 'entrust', rules: [] }, consult: { checkStock: true, warehouse: 'east', handlingFee: 0 } });
    assert.deepEqual(r.body.contract.sync, before.sync);
    assert.deepEqual(r.body.contract.users, before.users);
    assert.deepEqual(r.body.contractProblems, []);
    // What the API shows can be written back as it is.
    assert.equal((await api(main(), 'PATCH', '/admin/api/partners/north', { contract: r.body.contract })).status, 200);
  });

  it('a partner stores the slices exactly as the main site sent them', async () => {
    await publish();
    assert.equal((await push('north')).outcome, 'active');
    assert.deepEqual(net.partners.north!.ctx.peers.main()!.contract, (await partner('north')).contract);
  });

  it('a stored slice that no longer parses is reported by the API, and pushes to that partner fail with contract_invalid instead of using defaults', async () => {
    const db = net.main.ctx.db;
    db.prepare("UPDATE peers SET contract_json = json_remove(json_set(contract_json, '$.sync.requiresApproval', 'yes'), '$.sync.freezeWindows') WHERE id = 'south'").run();
    net.main.ctx.peers.setBaseUrl('south', net.partners.south!.url); // any write through the store drops its in-memory copy
    const p = await partner('south');
    assert.deepEqual(p.contractProblems, ['sync.requiresApproval: Invalid input: expected boolean, received string']);
    assert.equal(p.sync.partnershipType, null, 'no partnership type is guessed');
    assert.match(p.sync.contractProblem, /sync\.requiresApproval/);

    await publish();
    const held = net.partners.south!.sync.store.activeNumber();
    const r = await push('south');
    assert.equal(r.outcome, 'failed');
    assert.match(r.detail, /^contract_invalid: .*sync\.requiresApproval/);
    assert.equal(net.partners.south!.sync.store.activeNumber(), held, 'nothing reached the partner');
    assert.equal((await partner('south')).sync.failing, true);
    const d = (await api(main(), 'GET', '/admin/api/deliveries?partner=south&limit=1')).body.deliveries[0];
    assert.match(d.detail, /contract_invalid/);
    // Other partners are not held back by one partner's unreadable terms.
    assert.equal((await push('north')).outcome, 'active');

    // Written again through the API, the terms are whole and pushes go through.
    const fixed = await api(main(), 'PATCH', '/admin/api/partners/south', { contract: { sync: { partnershipType: 'content' } } });
    assert.deepEqual(fixed.body.contractProblems, []);
    assert.equal((await push('south')).outcome, 'active');
    assert.equal((await partner('south')).sync.failing, false);
  });

  it('a partner refuses an offer whose contract is malformed, and keeps the contract it has', async () => {
    const north = net.partners.north!;
    const kept = north.ctx.peers.main()!.contract;
    const good = (await partner('north')).contract as Json;
    const offer = (contract: unknown) => net.main.ctx.client.call('north', 'POST', '/s2s/sync/offer', { release: 999, root: 'f'.repeat(64), manifest: [], note: 'bad terms', contract });
    const { freezeWindows: _f, ...unexpanded } = good.sync as Json;
    for (const [contract, problem] of [
      [{ ...good, sync: { ...(good.sync as Json), requiresAproval: true } }, 'contract.sync.requiresAproval: unknown field'],
      [{ ...good, sync: unexpanded }, 'contract.sync.freezeWindows: missing (stored terms are complete; defaults apply only when terms are written)'],
      [{ ...good, quota: { v: 1 } }, 'contract.quota: no capability owns this key'],
      [{ ...good, users: { userCopy: true } }, 'contract.users.v: missing or not a version number (stored terms carry the version they were written in)'],
    ] as const) {
      const err = await offer(contract).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof S2SCallError, String(err));
      assert.equal(err.details?.status, 400);
      assert.equal(err.details?.peerCode, 'invalid_contract');
      const body = err.details?.body as { error: { details: { problems: string[] } } };
      assert.ok(
        body.error.details.problems.some((p) => p.startsWith(problem)),
        JSON.stringify(body),
      );
    }
    assert.deepEqual(north.ctx.peers.main()!.contract, kept);
    assert.equal(north.sync.store.get(999), undefined, 'the offer was not staged');
  });

  it('a partner never writes terms: its manager cannot set a contract', async () => {
    const north = net.partners.north!;
    const r = await api(north.url, 'PUT', '/manage/api/main', { id: 'main', baseUrl: main(), thumbprint: net.main.ctx.keyring().current.kid, contract: { sync: { emergencyEdit: true } } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_contract');
    assert.ok(north.ctx.peers.main(), 'the main site stays enrolled');
  });
});

describe('contract terms: data from before slices is upgraded once at start', function () {
  this.timeout(60000);
  const dir = tempDir('tieup-terms-upgrade-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('moves flat contracts into slices, keeps unreadable old terms reported rather than defaulted, and takes the type out of fee contracts', async () => {
    // A main site's database as the previous release left it: contracts flat, fee versions naming a type.
    const cfg = siteConfig('main', 'main', dir);
    const db = openDatabase(cfg.dbFile);
    runMigrations(db, siteMigrations(MAIN_SITE));
    db.prepare("DELETE FROM schema_migrations WHERE namespace = 'fees' AND version = 2").run();
    const now = new Date().toISOString();
    const addPeer = db.prepare("INSERT INTO peers (id, role, base_url, status, contract_json, created_at, updated_at) VALUES (?, 'partner', 'http://127.0.0.1:9', 'active', ?, ?, ?)");
    addPeer.run('old-a', JSON.stringify({ partnershipType: 'template', requiresApproval: true, schedule: '0 3 * * *', shop: { handling: { default: 'local' }, userCopy: true } }), now, now);
    addPeer.run('old-b', '{}', now, now);
    addPeer.run('old-c', JSON.stringify({ requiresApprovel: true, shop: { handling: { default: 'forward' } } }), now, now);
    const fee = {
      partner: 'old-a',
      currency: 'EUR',
      timeZone: 'UTC',
      versions: [
        {
          effectiveFrom: '2026-01-01',
          terms: { partnershipType: 'template', basis: 'type', baseFee: { link: 1, template: 2, content: 3 }, services: {}, contributionDiscount: [], volumeIncentive: [] },
        },
      ],
    };
    db.prepare("INSERT INTO fee_contracts (partner, revision, json, recorded_at, recorded_by) VALUES ('old-a', 1, ?, ?, 'operator')").run(JSON.stringify(fee), now);
    db.close();

    const site = await startSite('main', 'main', dir);
    try {
      const get = async (id: string) => (await api(site.url, 'GET', `/admin/api/partners/${id}`)).body;
      const a = await get('old-a');
      assert.deepEqual(a.contract, {
        sync: { v: 1, partnershipType: 'template', requiresApproval: true, emergencyEdit: false, schedule: '0 3 * * *', freezeWindows: [] },
        shop: { v: 1, handling: { default: 'local', rules: [] }, consult: { checkStock: true, warehouse: 'partner', handlingFee: 0 } },
        users: { v: 1, userCopy: true },
        news: { v: 1, shopperData: false },
      });
      assert.deepEqual(a.contractProblems, []);
      assert.equal(a.updatedAt, now, 'a format upgrade is not a new contract');
      // An empty old contract meant every default to the old readers: it is written out as such.
      assert.deepEqual((await get('old-b')).contract, site.ctx.terms.initial({}));
      // Old terms that never passed their schema are kept and reported, not replaced by defaults.
      const c = await get('old-c');
      assert.deepEqual(c.contract.shop, { v: 1, handling: { default: 'forward' } });
      assert.ok(
        c.contractProblems.some((p: string) => p.startsWith('shop.handling.default: ')),
        JSON.stringify(c.contractProblems),
      );
      // An old key no capability takes (the old readers ignored it) stays where it was, reported.
      assert.equal(c.contract.requiresApprovel, true);
      assert.ok(c.contractProblems.includes('requiresApprovel: no capability of this site owns this key'), JSON.stringify(c.contractProblems));
      // The fee contract gets a new revision without the type; the recorded one keeps it.
      const f = await api(site.url, 'GET', '/admin/api/partners/old-a/fee-contract');
      assert.equal(f.status, 200);
      assert.equal('partnershipType' in f.body.versions[0].terms, false);
      const revisions = site.ctx.db.prepare("SELECT revision, json FROM fee_contracts WHERE partner = 'old-a' ORDER BY revision").all() as { revision: number; json: string }[];
      assert.deepEqual(
        revisions.map((r) => [r.revision, (JSON.parse(r.json) as typeof fee).versions[0]!.terms.partnershipType ?? null]),
        [
          [1, 'template'],
          [2, null],
        ],
      );
      assert.ok(site.ctx.db.prepare("SELECT 1 FROM schema_migrations WHERE namespace = 'contract' AND version = 1").get());
    } finally {
      await site.close();
    }
    // The upgrade ran once: the next start leaves the stored contracts alone.
    const again = await startSite('main', 'main', dir);
    try {
      assert.deepEqual((await api(again.url, 'GET', '/admin/api/partners/old-c')).body.contract.shop, { v: 1, handling: { default: 'forward' } });
    } finally {
      await again.close();
    }
  });

  it('on a partner, converts what the main site had sent, and leaves "nothing sent yet" empty', () => {
    const t = siteTerms(PARTNER_SITE);
    const sent = {
      requiresApproval: true,
      emergencyEdit: true,
      partnershipType: 'content',
      shop: { handling: { default: 'entrust', rules: [] }, consult: { checkStock: false, warehouse: 'east', handlingFee: 300 }, userCopy: true },
    };
    const up = t.upgradeUnsliced(sent, false);
    assert.deepEqual(up.problems, []);
    assert.deepEqual(up.contract, {
      sync: { v: 1, partnershipType: 'content', requiresApproval: true, emergencyEdit: true, freezeWindows: [] },
      shop: { v: 1, handling: { default: 'entrust', rules: [] }, consult: { checkStock: false, warehouse: 'east', handlingFee: 300 } },
      users: { v: 1, userCopy: true },
    });
    assert.deepEqual(t.problems(up.contract), []);
    assert.deepEqual(t.upgradeUnsliced({}, false).contract, {});
  });
});
