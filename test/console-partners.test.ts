import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';
import { TEST_PASSWORD, TEST_TOKEN, publicKeysOf, startSite, tempDir } from './helpers/network.js';

type Agent = ReturnType<typeof supertest.agent>;
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const unescape = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&#34;/g, '"')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
/** The hidden fields of one form (the first whose opening tag matches `tag`), as a browser would post them. */
const formFields = (html: string, tag: RegExp): Record<string, string> => {
  const start = html.search(tag);
  assert.ok(start >= 0, `no form matching ${tag}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
};
/** The inline error shown beside a form field, or null. */
const fieldError = (html: string, field: string): string | null => {
  const m = new RegExp(`<div class="field invalid" data-field="${field.replace(/\./g, '\\.')}">[\\s\\S]*?<p class="field-error" id="[^"]+">([^<]*)</p>`).exec(html);
  return m ? unescape(m[1]!) : null;
};
/** The confirmation page's "Confirm and pin this key" form (the first key's). */
const PIN_FORM = /<form method="post" action="\/admin\/partners\/enrol" class="inline">\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<input type="hidden" name="confirmed"/;
const inputValue = (html: string, name: string): string | null => {
  const m = new RegExp(`<input id="[^"]+" name="${name.replace(/\./g, '\\.')}" value="([^"]*)"`).exec(html);
  return m ? unescape(m[1]!) : null;
};

describe('console: partners from forms (enrol with a key confirmation, contract slices, suspend / activate / remove, filters, CSV)', function () {
  this.timeout(60000);
  const dir = tempDir();
  let main: RunningMain;
  let north: RunningPartner;
  let south: RunningPartner;
  let admin: Agent;
  let northTp: string;
  let southTp: string;

  const page = async (path: string) => (await admin.get(path).expect(200)).text;
  const csrf = async () => csrfFrom(await page('/admin/partners'));
  const enrolPost = async (fields: Record<string, string>) =>
    admin
      .post('/admin/partners/enrol')
      .type('form')
      .send({ _csrf: await csrf(), ...fields });
  const contractOf = (id: string) => main.ctx.peers.get(id)?.contract;
  const apiPatch = (id: string, body: object) => supertest(main.url).patch(`/admin/api/partners/${id}`).set('Authorization', `Bearer ${TEST_TOKEN}`).send(body);

  before(async () => {
    main = await startSite('main', 'main', dir);
    north = await startSite('partner', 'north', dir);
    south = await startSite('partner', 'south', dir);
    northTp = (await publicKeysOf(dir, 'north'))[0]!.thumbprint;
    southTp = (await publicKeysOf(dir, 'south'))[0]!.thumbprint;
    admin = supertest.agent(main.url);
    const login = await admin.get('/admin/login').expect(200);
    await admin
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
  });
  after(async () => {
    await Promise.all([main, north, south].map((s) => s?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols with a thumbprint: the confirmation page shows the key (kid, thumbprint) and nothing is enrolled until "Confirm and pin this key"', async () => {
    const r = await enrolPost({ id: 'north', name: 'North Market', baseUrl: `${north.url}/`, thumbprint: northTp, jwksUrl: '' });
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(r.text, /Enrol north\?/);
    assert.match(r.text, new RegExp(`<code class="thumbprint">${northTp}</code>`));
    assert.match(r.text, new RegExp(`Key id \\(kid\\)</dt><dd><code>${northTp}</code>`));
    assert.match(r.text, /<button type="submit" class="confirm-yes">Confirm and pin this key<\/button>/);
    assert.equal(main.ctx.peers.get('north'), undefined, 'the first step enrols nothing');

    const hidden = formFields(r.text, PIN_FORM);
    assert.equal(hidden.confirmed, 'yes');
    assert.equal(hidden.pin, northTp);
    // "Back to the form" shows the form again with every value kept, and enrols nothing.
    const back = formFields(r.text, /<input type="hidden" name="edit" value="yes">/);
    const edit = await admin
      .post('/admin/partners/enrol')
      .type('form')
      .send({ ...back, _csrf: hidden._csrf, edit: 'yes' })
      .expect(200);
    assert.equal(inputValue(edit.text, 'name'), 'North Market');
    assert.equal(inputValue(edit.text, 'thumbprint'), northTp);
    assert.equal(main.ctx.peers.get('north'), undefined);
    // The confirmation carries the session's CSRF token: without it, nothing.
    await admin
      .post('/admin/partners/enrol')
      .type('form')
      .send({ ...hidden, _csrf: 'forged' })
      .expect(403);
    assert.equal(main.ctx.peers.get('north'), undefined);

    const done = await admin.post('/admin/partners/enrol').type('form').send(hidden).expect(303);
    assert.equal(done.headers.location, '/admin/partners/north?done=enrolled&partner=north');
    const p = main.ctx.peers.get('north')!;
    assert.equal(p.displayName, 'North Market');
    assert.equal(p.baseUrl, north.url, 'the base URL is stored as the API stores it (no trailing slash)');
    assert.deepEqual(
      main.ctx.peers.keys('north').map((k) => [k.thumbprint, k.pinnedBy]),
      [[northTp, 'enrolment']],
    );
    // The same contract the API's enrolment writes: every slice from its defaults, stamped with its version.
    assert.deepEqual(p.contract, main.ctx.terms.initial({}));
    const detail = await page(String(done.headers.location));
    assert.match(detail, /Partner north enrolled; its key is pinned/);
    // The API shows the name it was given.
    const api = await supertest(main.url).get('/admin/api/partners/north').set('Authorization', `Bearer ${TEST_TOKEN}`).expect(200);
    assert.equal(api.body.name, 'North Market');
  });

  it('enrols with a JWKS URL alone: the key served there is shown with its thumbprint, and that key is pinned', async () => {
    const r = await enrolPost({ id: 'south', name: '', baseUrl: south.url, thumbprint: '', jwksUrl: `${south.url}/.well-known/jwks.json` });
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(r.text, new RegExp(`<code class="thumbprint">${southTp}</code>`));
    assert.equal(main.ctx.peers.get('south'), undefined);
    const hidden = formFields(r.text, PIN_FORM);
    await admin.post('/admin/partners/enrol').type('form').send(hidden).expect(303);
    assert.deepEqual(
      main.ctx.peers.keys('south').map((k) => k.thumbprint),
      [southTp],
    );
    assert.equal(main.ctx.peers.get('south')!.displayName, null);
  });

  it('refuses bad input inline, beside its field, with the values kept; nothing is enrolled', async () => {
    const cases: { fields: Record<string, string>; field: string; says: RegExp; status: number }[] = [
      { fields: { id: 'east', baseUrl: north.url, thumbprint: 'not-a-thumbprint' }, field: 'thumbprint', says: /thumbprint must be a base64url SHA-256 JWK thumbprint/, status: 400 },
      // A well-formed thumbprint that is not the partner's key.
      { fields: { id: 'east', baseUrl: north.url, thumbprint: southTp }, field: 'thumbprint', says: new RegExp(`no key of ${north.url}/.well-known/jwks.json has thumbprint ${southTp}`), status: 400 },
      { fields: { id: 'east', baseUrl: 'ftp://east.example', thumbprint: northTp }, field: 'baseUrl', says: /baseUrl must be http or https/, status: 400 },
      { fields: { id: 'east', baseUrl: 'not a url', thumbprint: northTp }, field: 'baseUrl', says: /baseUrl must be an absolute URL/, status: 400 },
      { fields: { id: 'east', baseUrl: north.url, jwksUrl: 'javascript:alert(1)' }, field: 'jwksUrl', says: /jwksUrl must be http or https/, status: 400 },
      { fields: { id: 'east', baseUrl: north.url }, field: 'thumbprint', says: /give the peer's key thumbprint or a JWKS URL/, status: 400 },
      { fields: { id: 'East!', baseUrl: north.url, thumbprint: northTp }, field: 'id', says: /id must be 1-32 lowercase letters/, status: 400 },
      { fields: { id: 'north', baseUrl: north.url, thumbprint: northTp }, field: 'id', says: /"north" is already enrolled/, status: 409 },
      { fields: { id: 'main', baseUrl: north.url, thumbprint: northTp }, field: 'id', says: /a site cannot enrol itself/, status: 400 },
    ];
    for (const c of cases) {
      const r = await enrolPost({ name: 'Kept Name', ...c.fields });
      assert.equal(r.status, c.status, `${JSON.stringify(c.fields)}: ${r.text.slice(0, 300)}`);
      assert.match(fieldError(r.text, c.field) ?? '(no error beside the field)', c.says, JSON.stringify(c.fields));
      assert.match(r.text, /id="enrol-[a-zA-Z]+" name="[a-zA-Z]+" value="[^"]*" aria-invalid="true"/);
      for (const [k, v] of Object.entries(c.fields)) assert.equal(inputValue(r.text, k), v, `the form keeps ${k}`);
      assert.equal(inputValue(r.text, 'name'), 'Kept Name');
      assert.equal(main.ctx.peers.get('east'), undefined);
    }
    assert.deepEqual(
      main.ctx.peers
        .list()
        .map((p) => p.id)
        .sort(),
      ['north', 'south'],
    );
    // No CSRF token, no enrolment step at all.
    await admin.post('/admin/partners/enrol').type('form').send({ id: 'east', baseUrl: north.url, thumbprint: northTp }).expect(403);
  });

  it('edits a contract slice from a form generated from its schema: saved as the API saves it, versioned', async () => {
    const detail = await page('/admin/partners/north');
    // Every slice of the site has its form, with a field per schema field (nested objects flattened, arrays as JSON).
    for (const key of main.ctx.terms.slices.map((s) => s.key)) assert.match(detail, new RegExp(`<section class="card slice" id="slice-${key}" data-slice="${key}">`));
    for (const f of ['partnershipType', 'requiresApproval', 'schedule', 'freezeWindows', 'handling.default', 'handling.rules', 'consult.handlingFee', 'userCopy'])
      assert.match(detail, new RegExp(`data-field="${f.replace('.', '\\.')}"`), f);
    const before = structuredClone(contractOf('north'));
    const r = await admin
      .post('/admin/partners/north/contract/sync')
      .type('form')
      .send({
        _csrf: csrfFrom(detail),
        partnershipType: 'template',
        requiresApproval: 'true',
        emergencyEdit: 'false',
        schedule: '*/30 * * * * *',
        freezeWindows: '[{"daily": "22:00-06:00"}]',
        group: '',
      })
      .expect(303);
    assert.equal(r.headers.location, '/admin/partners/north?done=contract_saved&slice=sync');
    const after = contractOf('north')!;
    assert.deepEqual(after.sync, { v: 1, partnershipType: 'template', requiresApproval: true, emergencyEdit: false, schedule: '*/30 * * * * *', freezeWindows: [{ daily: '22:00-06:00' }] });
    assert.deepEqual({ ...after, sync: undefined }, { ...before, sync: undefined }, 'the other slices are left as stored');
    // What the API's PATCH writes for the same slice is the same stored form.
    const viaApi = await apiPatch('north', { contract: { sync: after.sync } }).expect(200);
    assert.deepEqual(viaApi.body.contract.sync, after.sync);
    const shown = await page('/admin/partners/north?done=contract_saved&slice=sync');
    assert.match(shown, /The sync terms are saved\./);
    assert.match(shown, /<span class="badge good">stored, v1<\/span>/);
    assert.match(shown, /<option value="template" selected>template<\/option>/);

    // A nested field: shop.consult.handlingFee.
    await admin
      .post('/admin/partners/north/contract/shop')
      .type('form')
      .send({
        _csrf: csrfFrom(shown),
        'handling.default': 'local',
        'handling.rules': '[{"category":"kitchen","mode":"consult"}]',
        'consult.checkStock': 'false',
        'consult.warehouse': 'central',
        'consult.handlingFee': '300',
      })
      .expect(303);
    assert.deepEqual(contractOf('north')!.shop, {
      v: 1,
      handling: { default: 'local', rules: [{ category: 'kitchen', mode: 'consult' }] },
      consult: { checkStock: false, warehouse: 'central', handlingFee: 300 },
    });
  });

  it("refuses a bad value inline, in words naming the field (judged by the API's schema, which refuses it too), keeps what was typed, and changes nothing", async () => {
    const before = structuredClone(contractOf('north'));
    const updatedAt = main.ctx.peers.get('north')!.updatedAt;
    // What the operator reads: the field's label and what it must be, never a schema key or zod's "expected number, received string".
    const cases: { slice: string; fields: Record<string, string>; field: string; api?: unknown; says: string | RegExp }[] = [
      {
        slice: 'sync',
        fields: { partnershipType: 'content', schedule: 'every day at noon' },
        field: 'schedule',
        api: { sync: { schedule: 'every day at noon' } },
        says: 'Push schedule: must be a cron expression (five fields, or six with seconds)',
      },
      {
        slice: 'sync',
        fields: { partnershipType: 'content', freezeWindows: '[{"daily": "25:00-26:00"}]' },
        field: 'freezeWindows',
        api: { sync: { freezeWindows: [{ daily: '25:00-26:00' }] } },
        says: 'Freeze windows (entry 1, daily): daily windows look like "22:00-06:00" (UTC)',
      },
      { slice: 'sync', fields: { partnershipType: 'content', freezeWindows: '[{"daily": ' }, field: 'freezeWindows', says: /^Freeze windows is not valid JSON/ },
      {
        slice: 'sync',
        fields: { partnershipType: 'partnership' },
        field: 'partnershipType',
        api: { sync: { partnershipType: 'partnership' } },
        says: 'Partnership type must be one of: content, template, link',
      },
      { slice: 'sync', fields: { group: 'Team A' }, field: 'group', api: { sync: { group: 'Team A' } }, says: 'Push group must be 1 to 32 lowercase letters, digits or hyphens' },
      { slice: 'shop', fields: { 'consult.handlingFee': '-5' }, field: 'consult.handlingFee', api: { shop: { consult: { handlingFee: -5 } } }, says: 'Fee per consulted order must not be negative' },
      {
        slice: 'shop',
        fields: { 'consult.handlingFee': 'lots' },
        field: 'consult.handlingFee',
        api: { shop: { consult: { handlingFee: 'lots' } } },
        says: 'Fee per consulted order must be a whole number of cents',
      },
      {
        slice: 'shop',
        fields: { 'consult.handlingFee': '2.5' },
        field: 'consult.handlingFee',
        api: { shop: { consult: { handlingFee: 2.5 } } },
        says: 'Fee per consulted order must be a whole number of cents',
      },
      {
        slice: 'shop',
        fields: { 'consult.handlingFee': '2000000' },
        field: 'consult.handlingFee',
        api: { shop: { consult: { handlingFee: 2000000 } } },
        says: 'Fee per consulted order must be at most 1000000 cents',
      },
      { slice: 'users', fields: { userCopy: 'maybe' }, field: 'userCopy', api: { users: { userCopy: 'maybe' } }, says: 'Keeps a copy of shopper accounts must be yes or no' },
    ];
    for (const c of cases) {
      const r = await admin
        .post(`/admin/partners/north/contract/${c.slice}`)
        .type('form')
        .send({ _csrf: await csrf(), ...c.fields });
      assert.equal(r.status, 400, `${JSON.stringify(c.fields)}: ${r.text.slice(0, 300)}`);
      const shown = fieldError(r.text, c.field);
      assert.ok(shown, `${c.field}: an error beside the field`);
      if (c.api) {
        // The same value sent to the JSON API is refused by the same schema, for the same field.
        const api = await apiPatch('north', { contract: c.api }).expect(400);
        assert.equal(api.body.error.code, 'invalid_contract');
        assert.ok(
          (api.body.error.details.problems as string[]).some((p) => p.startsWith(`contract.${c.slice}.${c.field}`)),
          JSON.stringify(api.body.error.details),
        );
      }
      if (typeof c.says === 'string') assert.equal(shown, c.says);
      else assert.match(shown, c.says);
      assert.doesNotMatch(shown, /expected \w+, received|Invalid input/, 'no raw zod message');
      const typed = c.fields[c.field]!;
      assert.ok(r.text.includes(`>${typed.replace(/"/g, '&#34;')}<`) || inputValue(r.text, c.field) === typed || r.text.includes(`value="${typed}" selected`), `the form keeps ${c.field} as typed`);
      assert.deepEqual(contractOf('north'), before, 'nothing changed');
    }
    assert.equal(main.ctx.peers.get('north')!.updatedAt, updatedAt);
    // Without the CSRF token: refused, nothing written.
    await admin.post('/admin/partners/north/contract/users').type('form').send({ userCopy: 'true' }).expect(403);
    assert.deepEqual(contractOf('north'), before);
    // A slice this site does not have, or a partner it does not know.
    await admin
      .post('/admin/partners/north/contract/fees')
      .type('form')
      .send({ _csrf: await csrf() })
      .expect(404);
    await admin
      .post('/admin/partners/nobody/contract/sync')
      .type('form')
      .send({ _csrf: await csrf() })
      .expect(404);
  });

  /** Posts an action; expects the confirmation page (nothing done), then a forged confirmation (403), then the real one. */
  async function confirmed(action: string, says: RegExp, check: () => void, done: () => void): Promise<string> {
    const token = await csrf();
    const first = await admin.post(action).type('form').send({ _csrf: token });
    assert.equal(first.status, 200, first.text.slice(0, 300));
    assert.match(first.text, /class="card confirm"/);
    assert.match(first.text, says);
    assert.match(first.text, /class="button secondary confirm-cancel" href="\/admin\/partners\/[a-z]+">Cancel<\/a>/);
    check();
    const hidden = formFields(first.text, /<form method="post" action="[^"]*" class="inline">\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<input type="hidden" name="confirmed"/);
    assert.equal(hidden.confirmed, 'yes');
    await admin
      .post(action)
      .type('form')
      .send({ ...hidden, _csrf: 'forged' })
      .expect(403);
    check();
    // Without any token: refused too.
    await admin.post(action).type('form').send({ confirmed: 'yes' }).expect(403);
    check();
    const r = await admin.post(action).type('form').send(hidden).expect(303);
    done();
    return String(r.headers.location);
  }

  it('suspends, activates and removes only after a confirmation page, each under the CSRF token', async () => {
    const status = () => main.ctx.peers.get('south')?.status;
    let to = await confirmed(
      '/admin/partners/south/suspend',
      /Suspend south\?[\s\S]*cut off at once/,
      () => assert.equal(status(), 'active'),
      () => assert.equal(status(), 'suspended'),
    );
    assert.equal(to, '/admin/partners/south?done=suspended');
    assert.match(await page(to), /<button type="submit" class="activate">Activate<\/button>/);
    to = await confirmed(
      '/admin/partners/south/activate',
      /Activate south\?[\s\S]*may call this site again/,
      () => assert.equal(status(), 'suspended'),
      () => assert.equal(status(), 'active'),
    );
    assert.equal(to, '/admin/partners/south?done=activated');
    to = await confirmed(
      '/admin/partners/south/remove',
      /Remove south\?[\s\S]*deletes south&#39;s enrolment: its base URL and name, its contract terms \(every slice\) and every key pinned for it[\s\S]*cannot be undone/,
      () => assert.equal(status(), 'active'),
      () => assert.equal(status(), undefined),
    );
    assert.equal(to, '/admin/partners?done=removed&partner=south');
    assert.deepEqual(main.ctx.peers.keys('south'), [], 'its pinned keys are gone');
    assert.match(await page(to), /Partner south removed\./);
    await admin.get('/admin/partners/south').expect(404);
  });

  it('filters the list by status, contract slice and text, exports the same as CSV, and answers a bad filter with a clear 400', async () => {
    // South again, suspended; and a partner with no contract slices at all (enrolled before terms existed).
    const r = await enrolPost({ id: 'south', name: 'South Corner', baseUrl: south.url, thumbprint: southTp });
    await admin.post('/admin/partners/enrol').type('form').send(formFields(r.text, PIN_FORM)).expect(303);
    main.ctx.peers.setStatus('south', 'suspended');
    main.ctx.peers.add({ id: 'west', role: 'partner', baseUrl: 'http://127.0.0.1:9', displayName: '=SUM(A1)', contract: main.ctx.terms.accept({}), ackedKid: null, keys: [] });

    const listed = async (q: string) => [...(await page(`/admin/partners${q}`)).matchAll(/<tr data-partner="([a-z-]+)">/g)].map((m) => m[1]);
    assert.deepEqual(await listed(''), ['north', 'south', 'west']);
    assert.deepEqual(await listed('?status=suspended'), ['south']);
    assert.deepEqual(await listed('?status=active'), ['north', 'west']);
    assert.deepEqual(await listed('?slice=sync'), ['north', 'south']);
    assert.deepEqual(await listed('?q=corner'), ['south'], 'text in the name');
    assert.deepEqual(await listed('?q=nor'), ['north'], 'text in the id');
    assert.deepEqual(await listed('?status=active&slice=shop&q=n'), ['north']);
    assert.deepEqual(await listed('?status=&slice=&q='), ['north', 'south', 'west'], 'empty filters mean any');

    for (const [q, says] of [
      ['?status=gone', /status must be &#34;active&#34; or &#34;suspended&#34;/],
      ['?slice=fees', /slice must be one of the contract slices of this site: sync, shop, users/],
      ['?colour=red', /unknown filter: colour/],
      ['?status=active&status=suspended', /status/],
    ] as const) {
      const bad = await admin.get(`/admin/partners${q}`).expect(400);
      assert.match(bad.text, /<p class="error" role="alert">Bad filter: /);
      assert.match(bad.text, says);
      assert.doesNotMatch(bad.text, /<tr data-partner=/, 'nothing is listed under a bad filter');
      const csv = await admin.get(`/admin/partners.csv${q}`).expect(400);
      assert.match(csv.headers['content-type']!, /text\/plain/);
      assert.match(csv.text, says instanceof RegExp ? new RegExp(says.source.replace(/&#34;/g, '"')) : says);
    }

    const csv = await admin.get('/admin/partners.csv?status=active').expect(200);
    assert.match(csv.headers['content-type']!, /text\/csv/);
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="partners-active.csv"');
    const rows = parse<Record<string, string>>(csv.text, { columns: true });
    assert.deepEqual(
      rows.map((x) => x.id),
      ['north', 'west'],
    );
    const n = rows[0]!;
    assert.equal(n.name, 'North Market');
    assert.equal(n.base_url, north.url);
    assert.equal(n.status, 'active');
    assert.deepEqual([n.terms_sync, n.terms_shop, n.terms_users], ['v1', 'v1', 'v1']);
    // A thumbprint is base64url and may begin with "-": guarded like every cell a spreadsheet would run as a formula.
    assert.equal(n.current_key_thumbprints, northTp.startsWith('-') ? `'${northTp}` : northTp);
    assert.equal(rows[1]!.name, "'=SUM(A1)", 'a name a spreadsheet would run is defused');
    assert.deepEqual([rows[1]!.terms_sync, rows[1]!.terms_shop], ['', '']);
    const all = parse<Record<string, string>>((await admin.get('/admin/partners.csv?slice=users&q=south').expect(200)).text, { columns: true });
    assert.deepEqual(
      all.map((x) => [x.id, x.status]),
      [['south', 'suspended']],
    );
    // The list links to the CSV with the same filters.
    assert.match(await page('/admin/partners?status=active&q=n'), /href="\/admin\/partners\.csv\?status=active&amp;q=n"/);
  });

  it('the JSON API takes the same new fields: a name, and a JWKS URL for the key its thumbprint names (never a JWKS URL alone)', async () => {
    const post = (body: object) => supertest(main.url).post('/admin/api/partners').set('Authorization', `Bearer ${TEST_TOKEN}`).send(body);
    const alone = await post({ id: 'east', baseUrl: 'http://127.0.0.1:9', jwksUrl: `${south.url}/.well-known/jwks.json` }).expect(400);
    assert.equal(alone.body.error.code, 'invalid_request');
    assert.match(alone.body.error.message, /give the peer's public key \(keys\) or its thumbprint/);
    assert.equal(main.ctx.peers.get('east'), undefined);
    const r = await post({ id: 'east', name: 'East End', baseUrl: 'http://127.0.0.1:9', thumbprint: southTp, jwksUrl: `${south.url}/.well-known/jwks.json` }).expect(201);
    assert.equal(r.body.name, 'East End');
    assert.deepEqual(
      r.body.keys.map((k: { thumbprint: string }) => k.thumbprint),
      [southTp],
    );
  });
});
