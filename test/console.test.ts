import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startNetwork, TEST_PASSWORD, type TestNetwork } from './helpers/network.js';

const csrfFrom = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'form carries a CSRF token');
  return m[1]!;
};

describe('consoles: login with scrypt passwords, session cookies, CSRF on every form, rate limits', () => {
  let net: TestNetwork;
  before(async () => {
    net = await startNetwork(['north'], { loginMaxFailuresPerAccount: 3, loginMaxFailuresPerIp: 50 });
  });
  after(() => net.close());

  async function loginAgent(url: string, basePath: string, username: string, password = TEST_PASSWORD) {
    const agent = supertest.agent(url);
    const page = await agent.get(`${basePath}/login`).expect(200);
    const res = await agent
      .post(`${basePath}/login`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), username, password });
    return { agent, res };
  }

  it('redirects an anonymous browser to the login page', async () => {
    const r = await supertest(net.main.url).get('/admin/').expect(303);
    assert.equal(r.headers.location, '/admin/login');
  });

  it('takes a console user back to the page they asked for after login, on both consoles, and never off the console', async () => {
    for (const [url, base, user, asked] of [
      [net.main.url, '/admin', 'operator', '/admin/orders?state=accepted'],
      [net.partners.north!.url, '/manage', 'manager', '/manage/orders'],
    ] as const) {
      const agent = supertest.agent(url);
      const first = await agent.get(asked).expect(303);
      assert.equal(first.headers.location, `${base}/login?next=${encodeURIComponent(asked)}`);
      const page = await agent.get(first.headers.location).expect(200);
      assert.match(page.text, new RegExp(`name="next" value="${asked.replace(/[?]/g, '\\?')}"`));
      const res = await agent
        .post(`${base}/login`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), username: user, password: TEST_PASSWORD, next: asked });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, asked);
      await agent.get(asked).expect(200);
    }
    // Open redirects are refused: another host, a backslash trick, a full URL, another console's path: the console's home instead.
    for (const next of ['//evil.example/', '/\\evil.example', 'https://evil.example/admin/', '/manage/orders', '/admin/login']) {
      const agent = supertest.agent(net.main.url);
      const page = await agent.get(`/admin/login?next=${encodeURIComponent(next)}`).expect(200);
      assert.doesNotMatch(page.text, /name="next"/, next);
      const res = await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), username: 'operator', password: TEST_PASSWORD, next });
      assert.equal(res.headers.location, '/admin/', next);
    }
  });

  it('sets httpOnly, SameSite cookies named for the site, and shows identity, keys and peers after login', async () => {
    const { agent, res } = await loginAgent(net.main.url, '/admin', 'operator');
    assert.equal(res.status, 303);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /tieup_main_console=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const page = await agent.get('/admin/').expect(200);
    assert.match(page.text, /Main console/);
    assert.ok(page.text.includes(net.main.ctx.keyring().current.kid));
    assert.match(page.text, /data-peer="north"/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.ok(page.headers['content-security-policy'], 'helmet is on');
  });

  it('refuses a login form posted without the CSRF token', async () => {
    const r = await supertest(net.main.url).post('/admin/login').type('form').send({ username: 'operator', password: TEST_PASSWORD });
    assert.equal(r.status, 403);
    assert.equal(r.headers['set-cookie']?.toString().includes('tieup_main_console='), false);
  });

  it("refuses a console action posted without the session's CSRF token, and does it with it", async () => {
    const { agent } = await loginAgent(net.main.url, '/admin', 'operator');
    await agent.post('/admin/peers/north/suspend').type('form').send({}).expect(403);
    await agent.post('/admin/peers/north/suspend').type('form').send({ _csrf: 'forged' }).expect(403);
    assert.equal(net.main.ctx.peers.get('north')!.status, 'active');
    const page = await agent.get('/admin/').expect(200);
    await agent
      .post('/admin/peers/north/hello')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    assert.equal(net.main.ctx.peers.get('north')!.lastHello?.ok, true);
    const after = await agent.get('/admin/').expect(200);
    assert.match(after.text, /OK<\/span> skew/);
  });

  it('rejects a wrong password, then throttles the account even for the right password', async () => {
    for (let i = 0; i < 3; i++) {
      const { res } = await loginAgent(net.partners.north!.url, '/manage', 'manager', 'wrong password!!');
      assert.equal(res.status, 401);
      assert.match(res.text, /Wrong username or password/);
    }
    const { res } = await loginAgent(net.partners.north!.url, '/manage', 'manager');
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.match(res.text, /Too many failed logins/);
  });

  it('logs out: the session no longer opens the console', async () => {
    const { agent } = await loginAgent(net.main.url, '/admin', 'operator');
    const page = await agent.get('/admin/').expect(200);
    await agent
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    await agent.get('/admin/').expect(303);
  });

  it('answers an unknown page with a readable 404 for browsers and JSON for APIs', async () => {
    const html = await supertest(net.main.url).get('/nope').set('Accept', 'text/html').expect(404);
    assert.match(html.text, /There is no page at \/nope/);
    const json = await supertest(net.main.url).get('/admin/api/nope').set('Authorization', 'Bearer test-token-0123456789abcdef').expect(404);
    assert.equal(json.body.error.code, 'not_found');
  });
});
