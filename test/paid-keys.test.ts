import assert from 'node:assert/strict';
import http from 'node:http';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { csrfOf, keyOf, Shopper } from './helpers/shopper.js';
import { readAccessKey, sameClient, signAccessKey, canonicalAddress } from '../common/paid/index.js';
import { REQUEST_TYP, signClaims } from '../common/s2s/tokens.js';
import { AppError } from '../common/errors.js';
import { runCli } from './helpers/cli.js';
import { TEST_PASSWORD, TEST_TOKEN } from './helpers/network.js';
import supertest from 'supertest';

/** GET from a chosen loopback address (Linux answers for all of 127.0.0.0/8), so the main site sees that client. */
function getFrom(url: string, from = '127.0.0.1'): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress: from, headers: { accept: 'text/html' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('paid content: access keys issued to partners and checked on every page', function () {
  this.timeout(120000);
  let net: SyncNetwork;
  let userId: string;
  let shopper: Shopper;
  let n = 0;
  const idem = () => `test-idempotency-${String(++n).padStart(4, '0')}`;
  const north = () => net.partners.north!;
  const mainUrl = (path: string) => net.main.url + path;
  const keysOf = async (q = '') => (await api(net.main.url, 'GET', `/admin/api/paid/keys${q}`)).body.keys as { id: string; amount: number; boundAddress: string | null }[];
  const northCharges = async () => (await api(north().url, 'GET', '/manage/api/paid/charges')).body.charges as { id: string; kind: string; amount: number }[];
  const refusedCode = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err instanceof AppError ? err.code : String(err);
    }
    return 'issued';
  };

  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }], { paidKeyWindowSeconds: 3 });
    // South is listed for the guide only from a date far ahead: an early release for north.
    net.write(
      'paid/trail-guide/item.json',
      JSON.stringify({
        id: 'trail-guide',
        title: 'The Ridge Trail guide',
        supplier: 'fernhill-press',
        category: 'guides',
        charge: { type: 'per_access', price: { amount: 300, currency: 'EUR' } },
        addressPolicy: 'prefix',
        partners: [{ id: 'north' }, { id: 'south', from: '2099-01-01T00:00:00Z' }],
      }),
    );
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'paid items' })).status, 201);
    for (const p of ['north', 'south']) assert.equal((await api(net.main.url, 'POST', `/admin/api/partners/${p}/push`, {})).body.outcome, 'active');
    shopper = new Shopper(north().url);
    assert.equal((await shopper.register('reader@example.org', 'a long enough passphrase')).status, 303);
    userId = (await api(net.main.url, 'GET', '/admin/api/users')).body.users[0].id;
  });
  after(() => net.close());

  it('partners receive the items and entry pages, never the paid pages; the entry page offers "Read"', async () => {
    const files = north()
      .sync.content.current()
      .release!.manifest.map((e) => e.path);
    assert.ok(files.includes('paid/trail-guide/item.json') && files.includes('paid/trail-guide/entry.md'));
    assert.ok(!files.some((f) => f.startsWith('paid/') && f.includes('/pages/')), files.join());
    assert.ok(net.main.sync.content.current().release!.manifest.some((e) => e.path === 'paid/trail-guide/pages/stages/one.md'));
    const entry = await shopper.agent.get('/paid/trail-guide').expect(200);
    assert.match(entry.text, /Two stages along the ridge/);
    assert.match(entry.text, /action="\/paid\/trail-guide\/read"/);
    // The paid pages are not served by the partner at any path.
    assert.equal((await getFrom(north().url + '/paid/trail-guide/pages/index')).status, 404);
  });

  it("a key's fields read back; any changed character is refused; an s2s token is never a key", async () => {
    const a = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    const read = readAccessKey(a.key)!;
    assert.equal(read.kid, net.main.ctx.keyring().current.kid);
    assert.deepEqual(
      { ptn: read.claims.ptn, sub: read.claims.sub, itm: read.claims.itm, adr: read.claims.adr, jti: read.claims.jti },
      { ptn: 'north', sub: userId, itm: 'trail-guide', adr: '127.0.0.1', jti: a.keyId },
    );
    assert.equal(new Date(read.claims.iat * 1000).toISOString(), a.issuedAt);
    assert.equal(a.path, `/paid/${a.key}/trail-guide/`);
    const ok = await getFrom(mainUrl(a.path));
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /Stage 1: the saddle/);
    // Every position, changed to another base64url character.
    for (let i = 0; i < a.key.length; i++) {
      if (a.key[i] === '.') continue;
      const c = a.key[i]!;
      const other = B64[(B64.indexOf(c) + 1 + (i % 63)) % 64]!;
      const bad = a.key.slice(0, i) + other + a.key.slice(i + 1);
      const res = await getFrom(mainUrl(`/paid/${bad}/trail-guide/`));
      assert.equal(res.status, 403, `changed character ${i} (${c} -> ${other}) was accepted`);
    }
    // The same claims signed with the main site's own key under the s2s request typ: refused.
    const k = net.main.ctx.keyring().current;
    const s2sShaped = signClaims(k, REQUEST_TYP, read.claims as never);
    assert.equal((await getFrom(mainUrl(`/paid/${s2sShaped}/trail-guide/`))).status, 403);
    // A well-formed key signed by another key (north's): refused.
    const forged = signAccessKey(north().ctx.keyring().current, { ...read.claims, jti: 'AAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal((await getFrom(mainUrl(`/paid/${forged}/trail-guide/`))).status, 403);
  });

  it('charges once per issued key whatever the number of pages, nothing on a refused issue, nothing twice on a retry', async () => {
    const before = (await northCharges()).length;
    // The shopper's own path: "Read" on the entry page, redirected to the main site.
    const entry = await shopper.agent.get('/paid/trail-guide').expect(200);
    const key = /name="key" value="([^"]+)"/.exec(entry.text)![1]!;
    const res = await shopper.agent
      .post('/paid/trail-guide/read')
      .type('form')
      .send({ _csrf: csrfOf(entry.text), key, mode: 'go' })
      .expect(303);
    const url = String(res.headers.location);
    assert.ok(url.startsWith(net.main.url + '/paid/'), url);
    for (const p of ['', 'stages/one', 'stages/two', 'img/map.svg']) assert.equal((await getFrom(url + p)).status, 200, p);
    // The form sent again (a double click): the same key, no second charge.
    const again = await shopper.agent
      .post('/paid/trail-guide/read')
      .type('form')
      .send({ _csrf: csrfOf(entry.text), key, mode: 'go' })
      .expect(303);
    assert.equal(again.headers.location, url);
    const charges = await northCharges();
    assert.equal(charges.length, before + 1);
    const keyId = readAccessKey(url.split('/')[4]!)!.claims.jti;
    assert.deepEqual(
      charges.filter((c) => c.id === keyId).map((c) => [c.kind, c.amount]),
      [['access', 300]],
    );
    const mainKeys = await keysOf(`?partner=north&item=trail-guide`);
    assert.equal(mainKeys.filter((k) => k.id === keyId).length, 1);
    assert.equal(mainKeys.find((k) => k.id === keyId)!.amount, 300);
    // A retry over s2s with the same idempotency key and another request: refused, nothing issued.
    const id = idem();
    await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', id);
    assert.equal(await refusedCode(north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', id)), 'idempotency_key_reused');
    // Refused issues (no birth date on record for an 18+ item; an unknown item) charge nothing on either side.
    const keysBefore = (await keysOf()).length;
    const chargesBefore = (await northCharges()).length;
    assert.equal(await refusedCode(north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem())), 'birth_date_missing');
    assert.equal((await keysOf()).length, keysBefore);
    assert.equal((await northCharges()).length, chargesBefore);
  });

  it('"Read here" shows the item inside a frame of the partner\'s page, which the main site allows for that partner only', async () => {
    const entry = await shopper.agent.get('/paid/trail-guide').expect(200);
    const key = [...entry.text.matchAll(/name="key" value="([^"]+)"/g)][1]![1]!;
    const framed = await shopper.agent
      .post('/paid/trail-guide/read')
      .type('form')
      .send({ _csrf: csrfOf(entry.text), key, mode: 'frame' })
      .expect(200);
    const src = /<iframe class="paid-frame" src="([^"]+)"/.exec(framed.text)![1]!;
    assert.ok(src.startsWith(net.main.url + '/paid/'));
    // The partner's own policy lets the browser load that frame, and follow "Read" (a form whose answer redirects to the main site).
    const mainOrigin = new URL(net.main.url).origin;
    const partnerCsp = String(framed.headers['content-security-policy']);
    assert.match(partnerCsp, new RegExp(`frame-src [^;]*${mainOrigin}(;| |$)`), partnerCsp);
    assert.match(String(entry.headers['content-security-policy']), new RegExp(`form-action 'self' ${mainOrigin}(;| |$)`));
    // Pages other than paid content keep the site-wide policy.
    assert.doesNotMatch(String((await shopper.agent.get('/').expect(200)).headers['content-security-policy']), new RegExp(mainOrigin));
    const res = await getFrom(src);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-security-policy']), new RegExp(`frame-ancestors 'self' ${new URL(north().url).origin}(;|$)`));
    assert.equal(res.headers['x-frame-options'], undefined);
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    // Other pages of the main site still refuse to be framed.
    assert.ok((await getFrom(net.main.url + '/about')).headers['x-frame-options']);
  });

  it("a shopper reads each refusal in the site's words, with what to do next, and the code kept for support", async () => {
    const read = async (who: Shopper, item: string) => {
      const entry = await who.agent.get(`/paid/${item}`).expect(200);
      // Without a subscription the page offers "Subscribe", not "Read": a Read form kept open from before (a stale key).
      const key = /name="key"/.test(entry.text) ? keyOf(entry.text) : `stale-read-form-${item}`;
      return who.agent
        .post(`/paid/${item}/read`)
        .type('form')
        .send({ _csrf: csrfOf(entry.text), key, mode: 'go' });
    };
    const heading = (html: string) => /<h1>([^<]+)<\/h1>/.exec(html)?.[1];
    // No birth date on record at the main site yet.
    const age = await read(shopper, 'summit-bets');
    assert.equal(age.status, 403);
    assert.equal(heading(age.text), 'Date of birth needed');
    assert.match(age.text, /data-code="birth_date_missing">This item is for readers aged 18 or over, and your age has not been confirmed/);
    const sub = await read(shopper, 'weather-letter');
    assert.equal(sub.status, 403);
    assert.equal(heading(sub.text), 'Subscription needed');
    assert.match(sub.text, /Subscribe on the item’s page, then press “Read” again/);
    // South may sell the guide only from 2099: the shopper reads the day, not an instant or a partner id.
    const southShopper = new Shopper(net.partners.south!.url);
    assert.equal((await southShopper.register('south-reader@example.org', 'a long enough passphrase')).status, 303);
    const early = await read(southShopper, 'trail-guide');
    assert.equal(early.status, 403);
    assert.equal(heading(early.text), 'Not on sale yet');
    assert.match(early.text, /This item goes on sale here on <time datetime="2099-01-01T00:00:00.000Z">1 January 2099<\/time>\./);
    assert.doesNotMatch(early.text + age.text + sub.text, /this partner|the shopper|s2s/);
    // Refusals charge nothing.
    assert.equal((await api(net.partners.south!.url, 'GET', '/manage/api/paid/charges')).body.charges.length, 0);
  });

  it('applies the age rule from the birth date on the account at the main site', async () => {
    const year = new Date().getUTCFullYear();
    assert.equal((await api(net.main.url, 'PUT', `/admin/api/users/${userId}/birth-date`, { birthDate: `${year - 17}-01-01` })).status, 200);
    assert.equal(await refusedCode(north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem())), 'age_restricted');
    await api(net.main.url, 'PUT', `/admin/api/users/${userId}/birth-date`, { birthDate: `${year - 30}-01-01` });
    const a = await north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem());
    assert.equal(a.charge.amount, 100);
  });

  it('charges period items at subscription, never at key issue', async () => {
    assert.equal(await refusedCode(north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem())), 'subscription_missing');
    const entry = await shopper.agent.get('/paid/weather-letter').expect(200);
    assert.match(entry.text, /action="\/paid\/weather-letter\/subscribe"/);
    await shopper.agent
      .post('/paid/weather-letter/subscribe')
      .type('form')
      .send({ _csrf: csrfOf(entry.text) })
      .expect(303);
    // The entry page says until when, as a time a person reads (not an ISO instant).
    const subscribed = await shopper.agent.get('/paid/weather-letter').expect(200);
    assert.match(subscribed.text, /Subscribed \(paid until <time datetime="[^"]+" title="[^"]+ UTC">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC<\/time>\)/);
    const period = (await northCharges()).filter((c) => c.kind === 'period');
    assert.deepEqual(
      period.map((c) => c.amount),
      [500],
    );
    const subs = (await api(net.main.url, 'GET', '/admin/api/paid/subscriptions')).body.subscriptions;
    assert.equal(subs.length, 1);
    assert.equal(subs[0].amount, 500);
    const before = (await northCharges()).length;
    const a = await north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem());
    const b = await north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem());
    assert.equal(a.charge.amount, 0);
    assert.equal(b.charge.amount, 0);
    assert.equal((await northCharges()).length, before);
    assert.equal(a.expiresAt, subs[0].periodEnd);
    assert.equal((await getFrom(mainUrl(a.path + 'outlook'))).status, 200);
  });

  it("the member's account page lists their subscriptions and the charges on their bill here, and no one else's", async () => {
    const page = (await shopper.agent.get('/account').expect(200)).text;
    const section = /<section class="account-paid">[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';
    assert.match(section, /<li data-subscription="weather-letter"><a href="\/paid\/weather-letter">[^<]+<\/a>: paid until <time/);
    const rows = [...section.matchAll(/<tr data-charge="([^"]+)">/g)].map((m) => m[1]);
    // Every charge of this member on north's bill (readings and the subscription), none of another member's.
    const charges = (await api(north().url, 'GET', '/manage/api/paid/charges')).body.charges as { id: string; userId: string }[];
    assert.ok(rows.length > 1);
    assert.deepEqual(
      rows.sort(),
      charges
        .filter((c) => c.userId === userId)
        .map((c) => c.id)
        .sort(),
    );
    assert.match(section, /<td>reading<\/td>/);
    assert.match(section, /<td>subscription<\/td>/);
    const other = new Shopper(north().url);
    assert.equal((await other.register('other-reader@example.org', 'a long enough passphrase')).status, 303);
    assert.doesNotMatch((await other.agent.get('/account').expect(200)).text, /account-paid/);
  });

  it('binds a key to its first address by the item policy: prefix /24, exact, none; IPv4-mapped IPv6 is the IPv4 address', async () => {
    // prefix: the same /24 reads on, another /24 is refused
    const g = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(g.path), '127.0.0.1')).status, 200);
    assert.equal((await getFrom(mainUrl(g.path + 'stages/one'), '127.0.0.77')).status, 200);
    const moved = await getFrom(mainUrl(g.path + 'stages/two'), '127.0.1.1');
    assert.equal(moved.status, 403);
    assert.match(moved.text, /in use elsewhere/);
    // exact
    const s = await north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(s.path), '127.0.0.1')).status, 200);
    assert.equal((await getFrom(mainUrl(s.path + 'form'), '127.0.0.2')).status, 403);
    assert.equal((await getFrom(mainUrl(s.path + 'form'), '127.0.0.1')).status, 200);
    // none
    const w = await north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(w.path), '127.0.3.3')).status, 200);
    assert.equal((await getFrom(mainUrl(w.path + 'outlook'), '127.0.4.4')).status, 200);
    // The partner saw the shopper on a dual-stack socket: ::ffff:127.0.0.1 is 127.0.0.1.
    const m = await north().paid.requestKey(userId, 'summit-bets', '::ffff:127.0.0.1', idem());
    assert.equal(readAccessKey(m.key)!.claims.adr, '127.0.0.1');
    assert.equal((await getFrom(mainUrl(m.path), '127.0.0.1')).status, 200);
    // The first use must come from the client the partner saw (under the policy): nothing bound otherwise.
    const other = await north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(other.path), '127.0.0.5')).status, 403);
    assert.equal((await keysOf()).find((k) => k.id === other.keyId)!.boundAddress, null);
    // The rules themselves, for IPv6 (/56) and mapped addresses, where loopback offers no second address.
    assert.ok(sameClient('prefix', '2001:db8:0:1200::1', '2001:db8:0:12ff::9'));
    assert.ok(!sameClient('prefix', '2001:db8:0:1200::1', '2001:db8:0:1300::1'));
    assert.ok(sameClient('exact', '::ffff:192.0.2.1', '192.0.2.1'));
    assert.ok(sameClient('prefix', '::ffff:192.0.2.1', '192.0.2.200'));
    assert.ok(!sameClient('prefix', '192.0.2.1', '2001:db8::1'));
    assert.ok(sameClient('none', '192.0.2.1', '2001:db8::1'));
    assert.equal(canonicalAddress('::FFFF:192.0.2.1'), '192.0.2.1');
  });

  it('refuses a key for one item on another item', async () => {
    const a = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    const res = await getFrom(mainUrl(`/paid/${a.key}/weather-letter/`));
    assert.equal(res.status, 403);
    assert.match(res.text, /for another item/);
    assert.equal((await keysOf()).find((k) => k.id === a.keyId)!.boundAddress, null);
  });

  it('revocation by key, by user and item, and by partner is in force on the next page, with a readable page and a link back', async () => {
    const a = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(a.path))).status, 200);
    assert.equal((await api(net.main.url, 'POST', '/admin/api/paid/revocations', { scope: 'key', keyId: a.keyId, reason: 'test' })).status, 201);
    const res = await getFrom(mainUrl(a.path + 'stages/one'));
    assert.equal(res.status, 403);
    assert.match(res.text, /withdrawn/);
    assert.ok(res.text.includes(`href="${north().url}/paid/trail-guide"`), 'links back to the partner that sold it');
    assert.match(res.text, /brand\.css|Tieup Main Store/);

    const b = await north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(b.path))).status, 200);
    await api(net.main.url, 'POST', '/admin/api/paid/revocations', { scope: 'user_item', partner: 'north', userId, item: 'weather-letter' });
    assert.equal((await getFrom(mainUrl(b.path))).status, 403);
    // A key issued after the revocation works.
    await new Promise((r) => setTimeout(r, 1100));
    const c = await north().paid.requestKey(userId, 'weather-letter', '127.0.0.1', idem());
    assert.equal((await getFrom(mainUrl(c.path))).status, 200);
    await api(net.main.url, 'POST', '/admin/api/paid/revocations', { scope: 'partner', partner: 'north' });
    assert.equal((await getFrom(mainUrl(c.path + 'outlook'))).status, 403);
    const refused = (await api(net.main.url, 'GET', '/admin/api/paid/revocations')).body.revocations;
    assert.equal(refused.length, 3);
  });

  it('refuses the first use after the window (410) and binds nothing', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const a = await north().paid.requestKey(userId, 'summit-bets', '127.0.0.1', idem());
    await new Promise((r) => setTimeout(r, 4200));
    const res = await getFrom(mainUrl(a.path));
    assert.equal(res.status, 410);
    assert.match(res.text, /has expired/);
    assert.equal((await keysOf()).find((k) => k.id === a.keyId)!.boundAddress, null);
    assert.equal((await getFrom(mainUrl(a.path))).status, 410);
  });

  it('refuses a partner the item is not yet released to, and charges nothing', async () => {
    const south = net.partners.south!;
    const id = `test-south-${String(++n).padStart(8, '0')}`;
    assert.equal(await refusedCode(south.paid.requestKey(userId, 'trail-guide', '127.0.0.1', id)), 'not_yet_on_sale');
    assert.equal((await keysOf('?partner=south')).length, 0);
    assert.equal((await api(south.url, 'GET', '/manage/api/paid/charges')).body.charges.length, 0);
  });

  it('tieup paid items | keys | revoke work against the main site', async () => {
    const cli = (...args: string[]) => runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN]);
    const items = await cli('paid', 'items');
    assert.equal(items.code, 0, items.stderr);
    assert.match(items.stdout, /trail-guide {2}The Ridge Trail guide {2}\[fernhill-press, guides\] {2}300 EUR per access {2}address prefix {2}north, south from 2099/);
    assert.match(items.stdout, /summit-bets .*18\+/);
    const a = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    // First use at once: this network's first-use window is 3 s, and each CLI run starts a process.
    assert.equal((await getFrom(mainUrl(a.path))).status, 200);
    const keys = await cli('paid', 'keys', '--partner', 'north', '--item', 'trail-guide', '--json');
    assert.equal(keys.code, 0, keys.stderr);
    const listed = (JSON.parse(keys.stdout) as { keys: Record<string, unknown>[] }).keys;
    assert.ok(listed.some((k) => k.id === a.keyId));
    assert.ok(
      listed.every((k) => !('token' in k)),
      'the key text is never listed',
    );
    assert.equal((await getFrom(mainUrl(a.path + 'stages/one'))).status, 200);
    const revoke = await cli('paid', 'revoke', '--key', a.keyId);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, /revoked \(key\)/);
    assert.equal((await getFrom(mainUrl(a.path))).status, 403);
    assert.equal((await cli('paid', 'revoke')).code, 2);
  });

  it('the consoles show items, keys and charges; the operator revokes from the page', async () => {
    const login = async (url: string, base: string, username: string) => {
      const agent = supertest.agent(url);
      const page = await agent.get(`${base}/login`).expect(200);
      await agent
        .post(`${base}/login`)
        .type('form')
        .send({ _csrf: csrfOf(page.text), username, password: TEST_PASSWORD })
        .expect(303);
      return agent;
    };
    const operator = await login(net.main.url, '/admin', 'operator');
    const page = await operator.get('/admin/paid').expect(200);
    assert.match(page.text, /data-item="weather-letter"/);
    assert.match(page.text, /Charges by partner and item/);
    const a = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    await operator
      .post('/admin/paid/revoke')
      .type('form')
      .send({ _csrf: csrfOf(page.text), scope: 'key', keyId: a.keyId, reason: 'from the page' })
      .expect(303)
      .expect('location', '/admin/paid?revoked=key#revocations');
    assert.match((await operator.get('/admin/paid?revoked=key').expect(200)).text, /Revoked \(key\); in force from the next page\./);
    assert.equal((await getFrom(mainUrl(a.path))).status, 403);
    // A partner that is none is refused without a confirmation, and nothing is recorded.
    const before = net.main.paid.store.revocations().length;
    const none = await operator
      .post('/admin/paid/revoke')
      .type('form')
      .send({ _csrf: csrfOf(page.text), scope: 'partner', partner: 'atlantis', reason: 'typo' })
      .expect(400);
    assert.match(none.text, /no such partner: atlantis/);
    assert.doesNotMatch(none.text, /Revoke every key of atlantis\?/);
    assert.equal(net.main.paid.store.revocations().length, before);
    // Revoking every key of a partner asks first; nothing is revoked until it is confirmed.
    const b = await north().paid.requestKey(userId, 'trail-guide', '127.0.0.1', idem());
    const asked = await operator
      .post('/admin/paid/revoke')
      .type('form')
      .send({ _csrf: csrfOf(page.text), scope: 'partner', partner: 'north', reason: 'from the page' })
      .expect(200);
    assert.match(asked.text, /Revoke every key of north\?/);
    assert.equal((await getFrom(mainUrl(b.path))).status, 200);
    const manager = await login(north().url, '/manage', 'manager');
    const mine = await manager.get('/manage/paid').expect(200);
    assert.match(mine.text, /data-item="trail-guide"/);
    assert.match(mine.text, /Charges to members/);
    assert.ok(mine.text.includes(a.keyId), "north's charge for the key is listed");
    // Charges made from a member's session name the member as the manager knows them, not by the main site's account id.
    assert.match(mine.text, /<td>Ada Shopper <span class="muted">&lt;reader@example\.org&gt;<\/span><\/td><td><code>weather-letter<\/code><\/td><td>period<\/td>/);
  });

  it('logs every paid page and refusal, and every issued key with its charge, in the signed logs', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const lines = net.main.ctx.logStore
      .lines(0, 1_000_000)
      .map((l) => JSON.parse(l) as { type: string; session: string | null; order: { amount: number } | null; status: number; path: string; user: string | null });
    const issued = lines.filter((l) => l.type === 'key_issued');
    assert.equal(issued.length, (await keysOf()).length);
    assert.ok(lines.some((l) => l.type === 'paid_page' && l.status === 200 && l.user === `north/${userId}`));
    const reasons = new Set(lines.filter((l) => l.type === 'paid_refused').map((l) => l.session));
    for (const r of ['invalid', 'wrong_item', 'window_passed', 'other_address', 'revoked']) assert.ok(reasons.has(r), `a ${r} refusal was logged`);
    // The key id is logged, never the key.
    assert.ok(lines.every((l) => l.path.length < 200));
  });
});
