import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import supertest from 'supertest';
import { request } from 'undici';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import { openDatabase } from '../common/store/sqlite.js';
import { NoticeStore, WEBHOOK_JWS_TYPE, type WebhookBody } from '../main-site/notices/index.js';
import type { RunningMain } from '../main-site/server.js';
import { freePorts } from './helpers/cli.js';
import { startSite, tempDir, TEST_PASSWORD } from './helpers/network.js';

const FAST = { noticeRetryBaseMs: 30, noticeRetryMaxMs: 200, noticePollMs: 20, noticeWebhookPrivateAddresses: true };

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const csrfFrom = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'form carries a CSRF token');
  return m[1]!;
};

describe('notice outbox: stored first, then e-mailed over SMTP and posted as a signed webhook, exactly once', () => {
  const dirs: string[] = [];
  const sites: RunningMain[] = [];
  const mailboxes: Mailbox[] = [];
  const servers: Server[] = [];
  after(async () => {
    await Promise.all(sites.map((s) => s.close().catch(() => undefined)));
    await Promise.all(mailboxes.map((m) => m.close()));
    for (const s of servers) s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  const mailbox = async (port?: number) => {
    const m = await startMailbox(port ? { port } : {});
    mailboxes.push(m);
    return m;
  };
  const main = async (d: string, extra: Record<string, unknown>) => {
    const s = await startSite('main', 'main', d, { ...FAST, ...extra });
    sites.push(s);
    return s;
  };

  it('stores a notice and e-mails it once, the notice id in the Message-ID; the same dedupe key stores and sends nothing more', async () => {
    const mb = await mailbox();
    const site = await main(dir(), { smtpHost: '127.0.0.1', smtpPort: mb.port, mailFrom: 'Tieup <notices@main.test>' });
    const first = site.notices.send({ recipient: { email: 'ops@example.test', name: 'Ops' }, kind: 'status_report', subject: 'Weekly status', text: 'All good.', dedupeKey: 'status:2026-W48' });
    assert.equal(first.created, true);
    assert.equal(first.notice.state, 'pending', 'stored before anything is sent');
    const mail = await mb.waitFor((m) => m.subject === 'Weekly status');
    assert.equal(mail.messageId, `<${first.notice.id}@main.tieup.notices>`);
    assert.equal(mail.headers['x-tieup-notice-id'], first.notice.id);
    assert.deepEqual(mail.to, ['ops@example.test']);
    assert.match(mail.text, /All good\./);
    await until('delivered', () => site.notices.get(first.notice.id)?.state === 'delivered');

    const again = site.notices.send({ recipient: { email: 'ops@example.test' }, kind: 'status_report', subject: 'Weekly status (again)', text: 'All good.', dedupeKey: 'status:2026-W48' });
    assert.equal(again.created, false);
    assert.equal(again.notice.id, first.notice.id);
    site.notices.retryNow(first.notice.id);
    await site.notices.kick();
    assert.equal(mb.messages.filter((m) => m.headers['x-tieup-notice-id'] === first.notice.id).length, 1);
    assert.equal(mb.messages.length, 1);
    const n = site.notices.get(first.notice.id)!;
    assert.deepEqual(
      n.attempts.map((a) => [a.channel, a.ok]),
      [['email', true]],
    );
    assert.equal(n.channels.find((c) => c.channel === 'webhook')!.state, 'off');
  });

  it("a notice sent inside a caller's transaction that rolls back is neither stored nor sent", async () => {
    const mb = await mailbox();
    const site = await main(dir(), { smtpHost: '127.0.0.1', smtpPort: mb.port });
    assert.throws(() =>
      site.ctx.db.transaction(() => {
        site.notices.send({ recipient: { email: 'x@example.test' }, kind: 'order_notice', subject: 'Rolled back', text: 'never', dedupeKey: 'rb:1' });
        throw new Error('the caller fails after sending');
      })(),
    );
    await sleep(50);
    await site.notices.kick();
    const sent = site.notices.send({ recipient: { email: 'x@example.test' }, kind: 'order_notice', subject: 'Committed', text: 'yes', dedupeKey: 'rb:2' }).notice;
    await mb.waitFor((m) => m.headers['x-tieup-notice-id'] === sent.id);
    assert.deepEqual(
      mb.messages.map((m) => m.subject),
      ['Committed'],
    );
    assert.equal(site.notices.list({ kind: 'order_notice' }).length, 1);
  });

  it('retries while SMTP is down, and after a restart (even one mid-send) delivers once with the same Message-ID when SMTP returns', async () => {
    const [smtpPort] = await freePorts(1);
    const d = dir();
    const cfg = { smtpHost: '127.0.0.1', smtpPort };
    const site1 = await main(d, cfg);
    const { notice } = site1.notices.send({
      recipient: { email: 'supplier@example.test' },
      kind: 'statement',
      subject: 'Statement 2026-11',
      text: 'Your statement.',
      dedupeKey: 'statement:s1:2026-11',
    });
    await until('two failed attempts', () => site1.notices.get(notice.id)!.attempts.length >= 2);
    const n1 = site1.notices.get(notice.id)!;
    assert.ok(n1.attempts.every((a) => !a.ok));
    assert.equal(n1.state, 'pending');
    const ch = n1.channels.find((c) => c.channel === 'email')!;
    assert.ok(ch.attempts >= 2 && ch.lastError);
    await site1.close();

    // The process stopped after claiming the e-mail for sending but before recording the outcome.
    const db = openDatabase(join(d, 'data', 'main.sqlite'));
    assert.equal(new NoticeStore(db).claim(notice.id, 'email'), true);
    db.close();

    const mb = await mailbox(smtpPort);
    const site2 = await main(d, cfg);
    const mail = await mb.waitFor((m) => m.headers['x-tieup-notice-id'] === notice.id);
    assert.equal(mail.messageId, `<${notice.id}@main.tieup.notices>`);
    await until('delivered', () => site2.notices.get(notice.id)?.state === 'delivered');
    await site2.notices.kick();
    await sleep(100);
    assert.equal(mb.messages.filter((m) => m.headers['x-tieup-notice-id'] === notice.id).length, 1, 'sent once');
    const n2 = site2.notices.get(notice.id)!;
    assert.ok(
      n2.attempts.some((a) => !a.ok && /interrupted/.test(a.detail)),
      'the interrupted send is recorded',
    );
    assert.equal(n2.attempts.at(-1)!.ok, true);
    assert.equal(n2.attempts.filter((a) => a.ok).length, 1);

    // A further restart sends nothing again.
    await site2.close();
    const site3 = await main(d, cfg);
    await site3.notices.kick();
    await sleep(100);
    assert.equal(mb.messages.filter((m) => m.headers['x-tieup-notice-id'] === notice.id).length, 1);
  });

  it('posts a webhook signed with the site key (kid, detached JWS) that verifies with /.well-known/jwks.json, retried after a 500 with the same id', async () => {
    const got: { headers: IncomingHttpHeaders; body: string }[] = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = got.length === 1 ? 500 : 204;
        res.end();
      });
    });
    servers.push(hook);
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    const site = await main(dir(), {});
    const { notice } = site.notices.send({
      recipient: { webhookUrl: url },
      kind: 'repayment_request',
      subject: 'Quota used up',
      text: 'Ad 7 reached its quota.',
      data: { ad: 7 },
      dedupeKey: 'quota:7:1',
    });
    await until('delivered', () => site.notices.get(notice.id)?.state === 'delivered');
    assert.equal(got.length, 2, 'one failure (500), then one delivery');
    assert.equal(got[0]!.headers['tieup-notice-id'], notice.id);
    assert.equal(got[1]!.headers['tieup-notice-id'], notice.id);
    assert.equal(got[1]!.headers['idempotency-key'], notice.id);
    const n = site.notices.get(notice.id)!;
    assert.deepEqual(
      n.attempts.map((a) => a.ok),
      [false, true],
    );
    assert.match(n.attempts[0]!.detail, /500/);

    // The receiver verifies with the site's published keys only.
    const jwksRes = await request(`${site.url}/.well-known/jwks.json`);
    const jwks = createLocalJWKSet((await jwksRes.body.json()) as JSONWebKeySet);
    const { body, headers } = got[1]!;
    const [h, , s] = String(headers['tieup-signature']).split('.');
    const verified = await compactVerify(`${h}.${Buffer.from(body).toString('base64url')}.${s}`, jwks, { algorithms: ['EdDSA'] });
    assert.equal(verified.protectedHeader.kid, site.ctx.keyring().current.kid);
    assert.equal(verified.protectedHeader.typ, WEBHOOK_JWS_TYPE);
    const parsed = JSON.parse(new TextDecoder().decode(verified.payload)) as WebhookBody;
    assert.equal(parsed.id, notice.id);
    assert.deepEqual(parsed.data, { ad: 7 });
    const tampered = body.replace('quota', 'QUOTA');
    await assert.rejects(compactVerify(`${h}.${Buffer.from(tampered).toString('base64url')}.${s}`, jwks, { algorithms: ['EdDSA'] }));
  });

  it('refuses, by default, webhooks to loopback or private addresses, by literal or by name, and records why', async () => {
    const site = await main(dir(), { noticeWebhookPrivateAddresses: false });
    const literal = site.notices.send({ recipient: { webhookUrl: 'http://127.0.0.1:9/hook' }, kind: 'status_report', subject: 'S', text: 'x', dedupeKey: 'p:1' }).notice;
    const named = site.notices.send({ recipient: { webhookUrl: 'http://localhost:9/hook' }, kind: 'status_report', subject: 'S', text: 'x', dedupeKey: 'p:2' }).notice;
    const mapped = site.notices.send({ recipient: { webhookUrl: 'http://[::ffff:10.0.0.1]:9/hook' }, kind: 'status_report', subject: 'S', text: 'x', dedupeKey: 'p:3' }).notice;
    for (const n of [literal, named, mapped]) {
      const a = await until(`an attempt for ${n.webhookUrl}`, () => site.notices.get(n.id)!.attempts[0]);
      assert.equal(a.ok, false);
      assert.match(a.detail, /refused: .* loopback, private or link-local/);
      assert.equal(site.notices.get(n.id)!.state, 'pending');
    }
  });

  it('the console lists notices filtered by state, kind and recipient, shows attempts, retries now (CSRF-checked), and says when e-mail is off', async () => {
    const site = await main(dir(), { noticeRetryBaseMs: 60_000, noticeRetryMaxMs: 60_000 });
    const pending = site.notices.send({ recipient: { email: 'a@example.test' }, kind: 'order_notice', subject: 'Order 42', text: 'Order 42 shipped.', dedupeKey: 'order:42' }).notice;
    // No webhook receiver listens on port 9 (discard): the webhook fails and waits a minute to retry.
    const failing = site.notices.send({ recipient: { webhookUrl: 'http://127.0.0.1:9/hook' }, kind: 'status_report', subject: 'Status', text: 'x', dedupeKey: 'status:1' }).notice;
    await until('a failed webhook attempt', () => site.notices.get(failing.id)!.attempts.length >= 1);

    const agent = supertest.agent(site.url);
    const login = await agent.get('/admin/login').expect(200);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), username: 'operator', password: TEST_PASSWORD })
      .expect(303);
    const all = await agent.get('/admin/notices').expect(200);
    assert.match(all.text, /data-email="off"/);
    assert.match(all.text, /E-mail is <strong>off<\/strong>/);
    assert.ok(all.text.includes(`data-notice="${pending.id}"`) && all.text.includes(`data-notice="${failing.id}"`));
    const byKind = await agent.get('/admin/notices?kind=order_notice').expect(200);
    assert.ok(byKind.text.includes(`data-notice="${pending.id}"`) && !byKind.text.includes(`data-notice="${failing.id}"`));
    const byRecipient = await agent.get('/admin/notices?recipient=a%40example.test&state=pending').expect(200);
    assert.ok(byRecipient.text.includes(`data-notice="${pending.id}"`) && !byRecipient.text.includes(`data-notice="${failing.id}"`));
    const delivered = await agent.get('/admin/notices?state=delivered').expect(200);
    assert.ok(!delivered.text.includes(`data-notice="${pending.id}"`));

    const detail = await agent.get(`/admin/notices/${failing.id}`).expect(200);
    assert.match(detail.text, /class="attempt"/);
    assert.match(detail.text, /Retry now/);
    await agent.post(`/admin/notices/${failing.id}/retry`).type('form').send({}).expect(403);
    const before = site.notices.get(failing.id)!.attempts.length;
    const retried = await agent
      .post(`/admin/notices/${failing.id}/retry`)
      .type('form')
      .send({ _csrf: csrfFrom(detail.text) })
      .expect(303);
    assert.match(String(retried.headers.location), /done=retried/);
    await until('another attempt after "retry now"', () => site.notices.get(failing.id)!.attempts.length > before);
    // The e-mail waits while e-mail is off: never attempted.
    assert.equal(site.notices.get(pending.id)!.attempts.length, 0);
  });
});
