import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import supertest from 'supertest';
import { api } from './helpers/sync-network.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

describe('central shopper accounts: register on any site, log in on any site, the main site holds the account', function () {
  this.timeout(60000);
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north'], { loginMaxFailuresPerAccount: 3 });
  });
  after(() => net.close());

  async function submit(url: string, kind: 'register' | 'login', fields: Record<string, string>, withCsrf = true) {
    const agent = supertest.agent(url);
    const form = await agent.get(`/account/${kind}`).expect(200);
    const res = await agent
      .post(`/account/${kind}`)
      .type('form')
      .send({ ...(withCsrf ? { _csrf: csrfOf(form.text) } : {}), ...fields });
    return { agent, res };
  }

  it('registers on a partner: the account is created at the main site, the partner keeps no password', async () => {
    const { agent, res } = await submit(net.partners.north!.url, 'register', { email: 'Ada@Example.org', name: 'Ada <script>alert(1)</script>', password: 'a long enough passphrase' });
    assert.equal(res.status, 303, res.text);
    assert.match(String(res.headers['set-cookie']), /tieup_north_shop=.*HttpOnly.*SameSite=Lax/);
    const page = await agent.get('/account').expect(200);
    assert.match(page.text, /Signed in as <strong>Ada &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/strong> \(ada@example.org\)/);
    const users = (await api(net.main.url, 'GET', '/admin/api/users')).body.users;
    assert.deepEqual(
      users.map((u: { email: string; registeredSite: string }) => [u.email, u.registeredSite]),
      [['ada@example.org', 'north']],
    );
    const partnerDb = new Database(net.partners.north!.ctx.config.dbFile, { readonly: true });
    const tables = (partnerDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const columns = tables.flatMap((t) => (partnerDb.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => `${t}.${c.name}`));
    partnerDb.close();
    assert.ok(!tables.includes('users'));
    assert.ok(
      !columns.some((c) => /password/.test(c) && !c.startsWith('console_users.') && !c.startsWith('user_copies.')),
      `no shopper password at the partner: ${columns.filter((c) => /password/.test(c)).join(', ')}`,
    );
    // The user-copy table stays empty: this partner's contract grants no copy.
    const copies = new Database(net.partners.north!.ctx.config.dbFile, { readonly: true });
    assert.equal((copies.prepare('SELECT COUNT(*) AS n FROM user_copies').get() as { n: number }).n, 0);
    copies.close();
  });

  it('logs out on the partner, then logs in on the main site with the same password', async () => {
    const { agent } = await submit(net.partners.north!.url, 'login', { email: 'ada@example.org', password: 'a long enough passphrase' });
    const account = await agent.get('/account').expect(200);
    await agent
      .post('/account/logout')
      .type('form')
      .send({ _csrf: csrfOf(account.text) })
      .expect(303);
    assert.match((await agent.get('/account').expect(200)).text, /Log in<\/a> or/);
    const main = await submit(net.main.url, 'login', { email: 'ada@example.org', password: 'a long enough passphrase' });
    assert.equal(main.res.status, 303);
    assert.match((await main.agent.get('/account')).text, /ada@example.org/);
  });

  it('refuses bad input with clear messages and creates nothing', async () => {
    const short = await submit(net.partners.north!.url, 'register', { email: 'bob@example.org', name: 'Bob', password: 'short' });
    assert.equal(short.res.status, 400);
    assert.match(short.res.text, /at least 10 characters/);
    const dup = await submit(net.main.url, 'register', { email: 'ADA@example.org', name: 'Ada', password: 'another long passphrase' });
    assert.equal(dup.res.status, 409);
    assert.match(dup.res.text, /already exists/);
    const noCsrf = await submit(net.partners.north!.url, 'register', { email: 'eve@example.org', name: 'Eve', password: 'a long enough passphrase' }, false);
    assert.equal(noCsrf.res.status, 403);
    assert.match(noCsrf.res.text, /CSRF/);
    assert.equal((await api(net.main.url, 'GET', '/admin/api/users')).body.users.length, 1);
  });

  it('throttles failed logins per account, even with the right password afterwards', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await submit(net.partners.north!.url, 'login', { email: 'ada@example.org', password: 'wrong password here' });
      assert.equal(r.res.status, 401);
      assert.match(r.res.text, /wrong email or password/);
    }
    const blocked = await submit(net.partners.north!.url, 'login', { email: 'ada@example.org', password: 'a long enough passphrase' });
    assert.equal(blocked.res.status, 429);
    assert.ok(Number(blocked.res.headers['retry-after']) > 0);
  });

  it('says plainly when the main site cannot be reached, and creates no account anywhere', async () => {
    const mainUrl = net.partners.north!.ctx.peers.get('main')!.baseUrl;
    net.partners.north!.ctx.peers.setBaseUrl('main', 'http://127.0.0.1:9');
    try {
      const r = await submit(net.partners.north!.url, 'register', { email: 'carl@example.org', name: 'Carl', password: 'a long enough passphrase' });
      assert.equal(r.res.status, 503);
      assert.match(r.res.text, /unreachable right now/);
    } finally {
      net.partners.north!.ctx.peers.setBaseUrl('main', mainUrl);
    }
    assert.equal(
      (await api(net.main.url, 'GET', '/admin/api/users')).body.users.some((u: { email: string }) => u.email === 'carl@example.org'),
      false,
    );
  });
});
