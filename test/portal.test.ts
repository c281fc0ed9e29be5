import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import supertest from 'supertest';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import type { RunningMain } from '../main-site/server.js';
import type { PartyKind } from '../main-site/portal/index.js';
import { startSite, tempDir, TEST_PASSWORD } from './helpers/network.js';
import { setTimeout as sleep } from 'node:timers/promises';

const PARTY_PASSWORD = 'party password 123';

const csrfFrom = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'form carries a CSRF token');
  return m[1]!;
};
const linkIn = (text: string): string => {
  const m = /(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, 'the e-mail carries the invitation link');
  return m[1]!;
};
const codeAt = (secret: string, ms: number): string => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: ms });

describe('party portal: invitations, password + TOTP login, throttles, CSRF, and each party sees only its own', () => {
  let dir: string;
  let mb: Mailbox;
  let site: RunningMain;
  before(async () => {
    dir = tempDir();
    mb = await startMailbox();
    site = await startSite('main', 'main', dir, {
      smtpHost: '127.0.0.1',
      smtpPort: mb.port,
      noticePollMs: 20,
      noticeRetryBaseMs: 30,
      noticeWebhookPrivateAddresses: true,
      loginMaxFailuresPerAccount: 3,
      loginMaxFailuresPerIp: 100,
    });
    site.portal.addSection({
      id: 'items',
      title: 'Items',
      kinds: ['supplier'],
      mount(router, tools) {
        router.get('/', (req, res) => {
          res.type('text/plain').send(`items of ${tools.party(req).id}`);
        });
      },
    });
  });
  after(async () => {
    await site.close();
    await mb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Invites a party through the service and sets its password from the e-mailed link. */
  async function activeParty(email: string, kind: PartyKind, name: string): Promise<string> {
    const { party } = site.portal.invite({ email, kind, displayName: name }, 'test');
    const mail = await mb.waitFor((m) => m.to.includes(email));
    const agent = supertest.agent(site.url);
    const link = new URL(linkIn(mail.text));
    const form = await agent.get(link.pathname).expect(200);
    await agent
      .post(link.pathname)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: PARTY_PASSWORD, confirm: PARTY_PASSWORD })
      .expect(303);
    return party.id;
  }

  async function portalLogin(email: string, password = PARTY_PASSWORD) {
    const agent = supertest.agent(site.url);
    const page = await agent.get('/portal/login').expect(200);
    const res = await agent
      .post('/portal/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email, password });
    return { agent, res };
  }

  it('the operator invites a party from the console; the e-mailed link sets the password once, is hashed at rest, and is removed from the outbox once delivered', async () => {
    const op = supertest.agent(site.url);
    const login = await op.get('/admin/login').expect(200);
    await op
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const list = await op.get('/admin/parties').expect(200);
    // The operator reads how long an invitation stays valid, not the name of a setting.
    assert.match(list.text, /valid for 72 hours/);
    await op.post('/admin/parties').type('form').send({ email: 'acme@example.test', kind: 'supplier', displayName: 'Acme Content' }).expect(403);
    const invited = await op
      .post('/admin/parties')
      .type('form')
      .send({ _csrf: csrfFrom(list.text), email: 'acme@example.test', kind: 'supplier', displayName: 'Acme Content' })
      .expect(303);
    const partyId = /\/admin\/parties\/(p-[0-9a-f]+)/.exec(String(invited.headers.location))![1]!;

    const mail = await mb.waitFor((m) => m.to.includes('acme@example.test'));
    assert.match(mail.subject, /invitation/);
    const link = linkIn(mail.text);
    const token = link.split('/').at(-1)!;
    const rows = site.ctx.db.prepare('SELECT * FROM party_invitations WHERE party_id = ?').all(partyId) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(token), 'only a hash of the token is stored');
    // Delivered: the link is blanked from the outbox too, and never shown in the console.
    const delivered = async () => site.notices.list({ recipient: partyId }).every((n) => n.state === 'delivered');
    for (let i = 0; i < 200 && !(await delivered()); i++) await sleep(20);
    const stored = site.ctx.db.prepare('SELECT text, data_json FROM notices WHERE party = ?').all(partyId);
    assert.ok(!JSON.stringify(stored).includes(token), 'the delivered notice no longer holds the link');
    const detail = await op.get(`/admin/parties/${partyId}`).expect(200);
    assert.match(detail.text, /invited/);

    const agent = supertest.agent(site.url);
    const path = new URL(link).pathname;
    const form = await agent.get(path).expect(200);
    assert.match(form.text, /Acme Content/);
    await agent.post(path).type('form').send({ password: PARTY_PASSWORD, confirm: PARTY_PASSWORD }).expect(403);
    const set = await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: PARTY_PASSWORD, confirm: PARTY_PASSWORD })
      .expect(303);
    assert.match(String(set.headers.location), /\/portal\/login\?done=password_set/);
    await agent.get(path).expect(410);
    const again = await supertest.agent(site.url).get(path);
    assert.equal(again.status, 410);
    assert.equal(site.portal.get(partyId)!.status, 'active');

    const { agent: party, res } = await portalLogin('acme@example.test');
    assert.equal(res.status, 303);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /tieup_main_portal=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const home = await party.get('/portal/').expect(200);
    assert.match(home.text, /data-section="items"/);
    assert.match(home.text, /Your invitation/, 'the invitation is in the inbox');
    assert.ok(!home.text.includes(token));
  });

  it('an invitation link stops working when it expires, and a resent invitation replaces the earlier link', async () => {
    const { party } = site.portal.invite({ email: 'late@example.test', kind: 'planner', displayName: 'Late Planner' }, 'test');
    const first = linkIn((await mb.waitFor((m) => m.to.includes('late@example.test'))).text);
    // Time passes: the invitation's expiry is now behind us.
    site.ctx.db.prepare('UPDATE party_invitations SET expires_at = ? WHERE party_id = ?').run(new Date(Date.now() - 1000).toISOString(), party.id);
    await supertest(site.url).get(new URL(first).pathname).expect(410);
    site.portal.resendInvitation(party.id, 'test');
    const second = linkIn((await mb.waitFor((m) => m.to.includes('late@example.test') && linkIn(m.text) !== first)).text);
    assert.notEqual(second, first);
    await supertest(site.url).get(new URL(second).pathname).expect(200);
    await supertest(site.url).get(new URL(first).pathname).expect(410);
  });

  it('TOTP: shown as otpauth:// URI and base32 secret, enabled only after a correct code; then login asks for a code, refuses a wrong or reused one', async () => {
    await activeParty('totp@example.test', 'supplier', 'Totp Supplier');
    const { agent } = await portalLogin('totp@example.test');
    const acct = await agent.get('/portal/account').expect(200);
    const setup = await agent
      .post('/portal/account/totp/start')
      .type('form')
      .send({ _csrf: csrfFrom(acct.text) })
      .expect(200);
    const secret = /class="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1]!;
    assert.match(setup.text, /otpauth:\/\/totp\//);
    await agent
      .post('/portal/account/totp/confirm')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text), code: '000000' })
      .expect(400);
    assert.equal(site.portal.get(site.portal.list().find((p) => p.email === 'totp@example.test')!.id)!.totpEnabled, false);
    // Enabling with the previous period's code (accepted: one step of drift) leaves the current code for the login below.
    await agent
      .post('/portal/account/totp/confirm')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text), code: codeAt(secret, Date.now() - 30_000) })
      .expect(303);

    const step1 = await portalLogin('totp@example.test');
    assert.equal(step1.res.status, 303);
    assert.equal(step1.res.headers.location, '/portal/login/code');
    await step1.agent.get('/portal/').expect(303);
    const codePage = await step1.agent.get('/portal/login/code').expect(200);
    const wrong = await step1.agent
      .post('/portal/login/code')
      .type('form')
      .send({ _csrf: csrfFrom(codePage.text), code: '123456' === codeAt(secret, Date.now()) ? '654321' : '123456' });
    assert.equal(wrong.status, 401);
    const code = codeAt(secret, Date.now());
    await step1.agent
      .post('/portal/login/code')
      .type('form')
      .send({ _csrf: csrfFrom(codePage.text), code })
      .expect(303);
    await step1.agent.get('/portal/').expect(200);

    const step2 = await portalLogin('totp@example.test');
    const page2 = await step2.agent.get('/portal/login/code').expect(200);
    const reused = await step2.agent
      .post('/portal/login/code')
      .type('form')
      .send({ _csrf: csrfFrom(page2.text), code });
    assert.equal(reused.status, 401, 'a code is accepted once');
    await step2.agent.get('/portal/').expect(303);
  });

  it('throttles failed logins per account, refusing even the right password, with Retry-After', async () => {
    await activeParty('throttle@example.test', 'advertiser', 'Throttle Ads');
    for (let i = 0; i < 3; i++) {
      const { res } = await portalLogin('throttle@example.test', 'wrong password!!');
      assert.equal(res.status, 401);
    }
    const { res } = await portalLogin('throttle@example.test');
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.match(res.text, /Too many failed logins/);
  });

  it('throttles failed logins per client address across accounts', async () => {
    const d = tempDir();
    const other = await startSite('main', 'main', d, { loginMaxFailuresPerAccount: 100, loginMaxFailuresPerIp: 3 });
    try {
      const login = async (email: string) => {
        const agent = supertest.agent(other.url);
        const page = await agent.get('/portal/login').expect(200);
        return agent
          .post('/portal/login')
          .type('form')
          .send({ _csrf: csrfFrom(page.text), email, password: 'wrong password!!' });
      };
      for (const who of ['x1@example.test', 'x2@example.test', 'x3@example.test']) assert.equal((await login(who)).status, 401);
      const blocked = await login('x4@example.test');
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers['retry-after']) > 0);
    } finally {
      await other.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('a party sees only its own inbox and notices, and only the sections of its kind', async () => {
    const a = await activeParty('a@example.test', 'supplier', 'Supplier A');
    const b = await activeParty('b@example.test', 'advertiser', 'Advertiser B');
    const na = site.notices.send({ recipient: { party: a }, kind: 'sales_report', subject: 'Report for A', text: 'A sold 3.', dedupeKey: 'r:a' }).notice;
    const nb = site.notices.send({ recipient: { party: b }, kind: 'repayment_request', subject: 'Request for B', text: 'B owes 5.', dedupeKey: 'r:b' }).notice;

    const { agent: pa } = await portalLogin('a@example.test');
    const { agent: pb } = await portalLogin('b@example.test');
    const inboxA = await pa.get('/portal/inbox').expect(200);
    assert.ok(inboxA.text.includes(na.id) && !inboxA.text.includes(nb.id));
    const own = await pa.get(`/portal/inbox/${na.id}`).expect(200);
    assert.match(own.text, /A sold 3\./);
    const other = await pa.get(`/portal/inbox/${nb.id}`).expect(404);
    assert.ok(!other.text.includes('B owes'));
    await pb.get(`/portal/inbox/${na.id}`).expect(404);

    const items = await pa.get('/portal/items/').expect(200);
    assert.equal(items.text, `items of ${a}`);
    await pb.get('/portal/items/').expect(404);
    const homeB = await pb.get('/portal/').expect(200);
    assert.ok(!homeB.text.includes('data-section="items"'));
    const anon = await supertest(site.url).get('/portal/items/').expect(303);
    assert.equal(anon.headers.location, '/portal/login');
    await supertest(site.url).get('/portal/inbox').expect(303);
  });

  it('refuses portal forms without the session CSRF token, and a suspended party can neither keep its session nor log in', async () => {
    const id = await activeParty('csrf@example.test', 'contributor', 'Csrf Contributor');
    const noToken = await supertest(site.url).post('/portal/login').type('form').send({ email: 'csrf@example.test', password: PARTY_PASSWORD });
    assert.equal(noToken.status, 403);
    const { agent } = await portalLogin('csrf@example.test');
    await agent.post('/portal/account/webhook').type('form').send({ webhookUrl: 'http://127.0.0.1:9/x' }).expect(403);
    await agent.post('/portal/account/webhook').type('form').send({ _csrf: 'forged', webhookUrl: 'http://127.0.0.1:9/x' }).expect(403);
    assert.equal(site.portal.get(id)!.webhookUrl, null);
    const acct = await agent.get('/portal/account').expect(200);
    await agent
      .post('/portal/account/webhook')
      .type('form')
      .send({ _csrf: csrfFrom(acct.text), webhookUrl: 'http://127.0.0.1:9/x' })
      .expect(303);
    assert.equal(site.portal.get(id)!.webhookUrl, 'http://127.0.0.1:9/x');

    site.portal.suspend(id, 'test');
    await agent.get('/portal/').expect(303);
    const { res } = await portalLogin('csrf@example.test');
    assert.equal(res.status, 401);
    site.portal.reactivate(id, 'test');
    const back = await portalLogin('csrf@example.test');
    assert.equal(back.res.status, 303);
  });
});
