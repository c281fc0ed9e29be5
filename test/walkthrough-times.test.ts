import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import { rewriteForPreview } from '../partner-site/sync/preview.js';
import { TEST_PASSWORD } from './helpers/network.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

type Agent = ReturnType<typeof supertest.agent>;
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const TIME = /<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z" title="[^"]+ UTC">/;

async function login(url: string, path: string, fields: Record<string, string>): Promise<Agent> {
  const agent = supertest.agent(url);
  const page = await agent.get(path).expect(200);
  await agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...fields })
    .expect(303);
  return agent;
}

describe('walkthrough leftovers: instants as <time> on the sync page and the portal, and no 404 for the cart count in a preview', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  let mb: Mailbox;
  before(async () => {
    mb = await startMailbox();
    net = await startSyncNetwork([{ id: 'north' }], { smtpHost: '127.0.0.1', smtpPort: mb.port, noticePollMs: 20, noticeRetryBaseMs: 30 });
  });
  after(async () => {
    await net.close();
    await mb.close();
  });

  it('the sync page shows a partner’s next scheduled push as a <time>, not a raw ISO string', async () => {
    const patched = await api(net.main.url, 'PATCH', '/admin/api/partners/north', { contract: { sync: { partnershipType: 'content', requiresApproval: false, schedule: '0 0 3 * * *' } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const admin = await login(net.main.url, '/admin/login', { username: 'operator', password: TEST_PASSWORD });
    const page = (await admin.get('/admin/sync').expect(200)).text;
    const row = /<tr data-partner="north">[\s\S]*?<\/tr>/.exec(page)![0];
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);
    const next = cells[5]!;
    assert.match(next, TIME, `next push cell: ${next}`);
    assert.doesNotMatch(next.replace(/<time[^>]*>/g, ''), /\d{4}-\d{2}-\d{2}T/, 'no raw ISO text');
  });

  it('the portal’s last login is a <time> on the party’s account page and in the console', async () => {
    const { party } = net.main.portal.invite({ email: 'times@example.org', kind: 'supplier', displayName: 'Times Press' }, 'test');
    const mail = await mb.waitFor((m) => m.to.includes('times@example.org'));
    const link = new URL(/(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!);
    const a = supertest.agent(net.main.url);
    const form = await a.get(link.pathname).expect(200);
    await a
      .post(link.pathname)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: 'party password 123', confirm: 'party password 123' })
      .expect(303);
    const p = await login(net.main.url, '/portal/login', { email: 'times@example.org', password: 'party password 123' });
    const account = (await p.get('/portal/account').expect(200)).text;
    assert.match(/<dt>Last login<\/dt><dd>([\s\S]*?)<\/dd>/.exec(account)![1]!, TIME);
    const admin = await login(net.main.url, '/admin/login', { username: 'operator', password: TEST_PASSWORD });
    assert.match(/<dt>Last login<\/dt><dd>([\s\S]*?)<\/dd>/.exec((await admin.get(`/admin/parties/${party.id}`).expect(200)).text)![1]!, TIME);
  });

  it('a preview leaves the live cart count alone (it has no cart of its own) and still keeps its own links inside the preview', async () => {
    const html = '<a href="/cart"><img src="/cart/count.svg" alt="Cart"></a><link href="/assets/brand.css"><a href="/shop">Shop</a>';
    const out = rewriteForPreview(html, '/manage/preview/3');
    assert.ok(out.includes('src="/cart/count.svg"'));
    assert.ok(out.includes('href="/manage/preview/3/assets/brand.css"'));
    assert.ok(out.includes('href="/manage/preview/3/shop"'));
    const live = await fetch(`${net.partners.north!.url}/cart/count.svg`);
    assert.equal(live.status, 200, 'the live count the preview points at exists');
    assert.match(String(live.headers.get('content-type')), /image\/svg\+xml/);
  });
});
