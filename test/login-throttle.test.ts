import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startNetwork, TEST_PASSWORD, type TestNetwork } from './helpers/network.js';

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
/** The cookie (name=value) whose name ends with `suffix`, as a login page sets it. */
function cookieEndingIn(setCookie: string[] | string | undefined, suffix: string): string {
  const all = Array.isArray(setCookie) ? setCookie : [String(setCookie)];
  const c = all.find((v) => v.split('=')[0]!.endsWith(suffix));
  assert.ok(c, `a cookie ending in ${suffix}`);
  return c.split(';')[0]!;
}

/** A login form's CSRF pair; one pair serves every concurrent post (the field must equal the cookie). */
async function loginForm(url: string, path: string, cookieSuffix: string) {
  const page = await supertest(url).get(path).expect(200);
  return { cookie: cookieEndingIn(page.headers['set-cookie'], cookieSuffix), csrf: csrfOf(page.text) };
}
const consoleLogin = (url: string, basePath: string, form: { cookie: string; csrf: string }, username: string, password: string) =>
  supertest(url).post(`${basePath}/login`).set('Cookie', form.cookie).type('form').send({ _csrf: form.csrf, username, password });
const shopperLogin = (url: string, form: { cookie: string; csrf: string }, email: string, password: string) =>
  supertest(url).post('/account/login').set('Cookie', form.cookie).type('form').send({ _csrf: form.csrf, email, password });

/** How many answers came with each status. */
const tally = (statuses: number[]): Record<number, number> => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

/**
 * Issue 12, item 7: a login attempt is counted before the slow scrypt check,
 * so attempts sent at once are throttled like attempts sent one after another
 * (defaults: 5 per account, 20 per address). Observed from outside: at most
 * that many answers say "wrong password", the rest are 429.
 */
describe('login throttle: concurrent wrong passwords are throttled like sequential ones (console and shoppers)', function () {
  this.timeout(120000);
  let net: TestNetwork;
  before(async () => {
    // The defaults: 5 failures per account, 20 per address.
    net = await startNetwork(['north']);
  });
  after(() => net.close());

  async function registerShopper(url: string, email: string, password: string) {
    const agent = supertest.agent(url);
    const form = await agent.get('/account/register').expect(200);
    await agent
      .post('/account/register')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email, name: 'Shopper', password })
      .expect(303);
  }

  it('console: 40 wrong passwords at once for one account get at most 5 "wrong password" answers, the rest 429; then even the right one waits', async () => {
    const form = await loginForm(net.main.url, '/admin/login', '_login_csrf');
    const answers = await Promise.all(Array.from({ length: 40 }, () => consoleLogin(net.main.url, '/admin', form, 'operator', 'not the password!')));
    const t = tally(answers.map((a) => a.status));
    assert.equal((t[401] ?? 0) + (t[429] ?? 0), 40, `only 401 and 429: ${JSON.stringify(t)}`);
    assert.ok((t[401] ?? 0) <= 5, `at most 5 passwords checked, got ${JSON.stringify(t)}`);
    assert.ok((t[401] ?? 0) >= 1, 'the first attempts are checked');
    for (const a of answers.filter((x) => x.status === 401)) assert.match(a.text, /Wrong username or password/);
    for (const a of answers.filter((x) => x.status === 429)) {
      assert.match(a.text, /Too many failed logins/);
      assert.ok(Number(a.headers['retry-after']) > 0);
    }
    // As before: once throttled, the right password waits too.
    assert.equal((await consoleLogin(net.main.url, '/admin', form, 'operator', TEST_PASSWORD)).status, 429);
  });

  it('console: 40 wrong passwords at once for 40 accounts from one address get at most 20 "wrong password" answers', async () => {
    const form = await loginForm(net.partners.north!.url, '/manage/login', '_login_csrf');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => consoleLogin(net.partners.north!.url, '/manage', form, `nobody-${i}`, 'not the password!')));
    const t = tally(answers.map((a) => a.status));
    assert.ok((t[401] ?? 0) <= 20 && (t[401] ?? 0) >= 1, `at most 20 checks from one address, got ${JSON.stringify(t)}`);
    assert.equal((t[401] ?? 0) + (t[429] ?? 0), 40, JSON.stringify(t));
  });

  it('shopper at the main site: 40 wrong passwords at once get at most 5 "wrong password" answers, the rest 429', async () => {
    await registerShopper(net.main.url, 'mia@example.org', 'a long enough passphrase');
    const form = await loginForm(net.main.url, '/account/login', '_shop_csrf');
    const answers = await Promise.all(Array.from({ length: 40 }, () => shopperLogin(net.main.url, form, 'mia@example.org', 'wrong password here')));
    const t = tally(answers.map((a) => a.status));
    assert.ok((t[401] ?? 0) <= 5 && (t[401] ?? 0) >= 1, `at most 5 passwords checked, got ${JSON.stringify(t)}`);
    assert.equal((t[401] ?? 0) + (t[429] ?? 0), 40, JSON.stringify(t));
    for (const a of answers.filter((x) => x.status === 401)) assert.match(a.text, /wrong email or password/);
    assert.equal((await shopperLogin(net.main.url, form, 'mia@example.org', 'a long enough passphrase')).status, 429);
  });

  it('shopper through a partner (checked at the main site over s2s): 40 wrong passwords at once get at most 5 "wrong password" answers', async () => {
    await registerShopper(net.partners.north!.url, 'noah@example.org', 'a long enough passphrase');
    const form = await loginForm(net.partners.north!.url, '/account/login', '_shop_csrf');
    const answers = await Promise.all(Array.from({ length: 40 }, () => shopperLogin(net.partners.north!.url, form, 'noah@example.org', 'wrong password here')));
    const t = tally(answers.map((a) => a.status));
    assert.ok((t[401] ?? 0) <= 5 && (t[401] ?? 0) >= 1, `at most 5 passwords checked, got ${JSON.stringify(t)}`);
    assert.equal((t[401] ?? 0) + (t[429] ?? 0), 40, JSON.stringify(t));
    assert.equal((await shopperLogin(net.partners.north!.url, form, 'noah@example.org', 'a long enough passphrase')).status, 429);
  });
});

describe('login throttle: per address through a partner, and what a success does', function () {
  this.timeout(120000);
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north']);
  });
  after(() => net.close());

  it('shoppers through a partner from one address: 40 wrong passwords at once for 40 accounts get at most 20 "wrong password" answers', async () => {
    const form = await loginForm(net.partners.north!.url, '/account/login', '_shop_csrf');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => shopperLogin(net.partners.north!.url, form, `nobody-${i}@example.org`, 'wrong password here')));
    const t = tally(answers.map((a) => a.status));
    assert.ok((t[401] ?? 0) <= 20 && (t[401] ?? 0) >= 1, `at most 20 checks from one address, got ${JSON.stringify(t)}`);
    assert.equal((t[401] ?? 0) + (t[429] ?? 0), 40, JSON.stringify(t));
  });

  it('successful console logins do not use up the address allowance, and one resets its account failures', async () => {
    const login = async (password: string) => {
      const agent = supertest.agent(net.main.url);
      const p = await agent.get('/admin/login').expect(200);
      return (
        await agent
          .post('/admin/login')
          .type('form')
          .send({ _csrf: csrfOf(p.text), username: 'operator', password })
      ).status;
    };
    // More successes than the 20 per address: a success takes back the attempt it counted.
    for (let i = 0; i < 22; i++) assert.equal(await login(TEST_PASSWORD), 303, `success ${i + 1}`);
    // 4 failures, a success, then 4 more failures: the success forgot the first four.
    for (let i = 0; i < 4; i++) assert.equal(await login('not the password!'), 401);
    assert.equal(await login(TEST_PASSWORD), 303);
    for (let i = 0; i < 4; i++) assert.equal(await login('not the password!'), 401);
    assert.equal(await login(TEST_PASSWORD), 303);
  });
});
