import assert from 'node:assert/strict';
import supertest from 'supertest';
import { TEST_PASSWORD } from './helpers/network.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper, orderNumberOf } from './helpers/shopper.js';
import { plural, timeTag } from '../common/web/format.js';

type Agent = ReturnType<typeof supertest.agent>;
const csrfFrom = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
/** The hidden fields of the confirmation step's form, as a browser would post them. */
const confirmFields = (html: string): Record<string, string> => {
  const form = /<form method="post" action="[^"]*" class="inline">([\s\S]*?)<\/form>/.exec(html.slice(html.indexOf('class="card confirm"')))![1]!;
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1]!,
      m[2]!
        .replace(/&#39;/g, "'")
        .replace(/&#34;/g, '"')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    ]),
  );
};

describe('consoles: destructive actions ask for confirmation, times are shown one way, counts have the right plural', function () {
  this.timeout(60000);
  let net: SyncNetwork;
  let admin: Agent;
  let manager: Agent;

  async function login(url: string, base: string, username: string): Promise<Agent> {
    const agent = supertest.agent(url);
    const page = await agent.get(`${base}/login`).expect(200);
    await agent
      .post(`${base}/login`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), username, password: TEST_PASSWORD })
      .expect(303);
    return agent;
  }
  /** Posts a console form; expects the confirmation step, not the action. */
  async function askFirst(agent: Agent, page: string, action: string, fields: Record<string, string>, says: RegExp): Promise<Record<string, string>> {
    const csrf = csrfFrom((await agent.get(page).expect(200)).text);
    const r = await agent
      .post(action)
      .type('form')
      .send({ _csrf: csrf, ...fields });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.text, /class="card confirm"/);
    assert.match(r.text, says);
    assert.match(r.text, /class="button secondary confirm-cancel" href="[^"]+">Cancel<\/a>/);
    const hidden = confirmFields(r.text);
    assert.equal(hidden.confirmed, 'yes');
    assert.equal(hidden._csrf, csrf, 'the confirmation posts under the same CSRF token');
    for (const [k, v] of Object.entries(fields)) assert.equal(hidden[k], v, `the confirmation carries ${k}`);
    return hidden;
  }

  before(async () => {
    net = await startSyncNetwork([{ id: 'south', contract: { sync: { requiresApproval: true } } }]);
    admin = await login(net.main.url, '/admin', 'operator');
    manager = await login(net.partners.south!.url, '/manage', 'manager');
  });
  after(() => net.close());

  it('suspending a partner asks first; a confirmation without the CSRF token is refused; the confirmed post suspends', async () => {
    const hidden = await askFirst(admin, '/admin/', '/admin/peers/south/suspend', {}, /Suspend south\?[\s\S]*cut off at once/);
    assert.equal(net.main.ctx.peers.get('south')!.status, 'active', 'nothing happened before confirmation');
    await admin
      .post('/admin/peers/south/suspend')
      .type('form')
      .send({ ...hidden, _csrf: 'forged' })
      .expect(403);
    assert.equal(net.main.ctx.peers.get('south')!.status, 'active');
    await admin.post('/admin/peers/south/suspend').type('form').send(hidden).expect(303);
    assert.equal(net.main.ctx.peers.get('south')!.status, 'suspended');
    // Activating destroys nothing: no confirmation step.
    const csrf = csrfFrom((await admin.get('/admin/').expect(200)).text);
    await admin.post('/admin/peers/south/activate').type('form').send({ _csrf: csrf }).expect(303);
    assert.equal(net.main.ctx.peers.get('south')!.status, 'active');
  });

  it('rejecting and rolling back on the partner ask first, carrying the reason', async () => {
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'first' });
    await api(net.main.url, 'POST', '/admin/api/partners/south/push', {});
    await api(net.partners.south!.url, 'POST', '/manage/api/pending/1/approve', {});
    net.write('pages/about.md', pageText('About us', 'SECOND', 1500));
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'second' });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'pending');

    const hidden = await askFirst(manager, '/manage/sync', '/manage/sync/pending/2/reject', { reason: 'Not before "the weekend" & after' }, /Reject release 2\?[\s\S]*never be served here/);
    assert.equal(net.partners.south!.sync.store.get(2)!.state, 'pending');
    await manager.post('/manage/sync/pending/2/reject').type('form').send(hidden).expect(303);
    assert.equal(net.partners.south!.sync.store.get(2)!.state, 'rejected');
    assert.equal(net.partners.south!.sync.store.get(2)!.reason, 'Not before "the weekend" & after');

    net.write('pages/about.md', pageText('About us', 'THIRD', 1500));
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'third' });
    await api(net.main.url, 'POST', '/admin/api/partners/south/push', {});
    const third = (await api(net.partners.south!.url, 'GET', '/manage/api/pending')).body.pending[0].release as number;
    await api(net.partners.south!.url, 'POST', `/manage/api/pending/${third}/approve`, {});
    const back = await askFirst(manager, '/manage/sync', '/manage/sync/releases/1/activate', {}, new RegExp(`Roll back to release 1\\?[\\s\\S]*instead of release ${third}`));
    assert.equal(net.partners.south!.sync.store.activeNumber(), third);
    await manager.post('/manage/sync/releases/1/activate').type('form').send(back).expect(303);
    assert.equal(net.partners.south!.sync.store.activeNumber(), 1);
  });

  it('closing a fee period asks first and names what closing means', async () => {
    const hidden = await askFirst(admin, '/admin/fees?period=2026-10', '/admin/fees/close', { period: '2026-10' }, /Close 2026-10\?[\s\S]*freezes[\s\S]*cannot be undone/);
    assert.equal(
      (await api(net.main.url, 'GET', '/admin/api/fees/statements?period=2026-10')).body.statements.every((s: { status: string }) => s.status !== 'closed'),
      true,
    );
    const done = await admin.post('/admin/fees/close').type('form').send(hidden).expect(303);
    assert.match(String(done.headers.location), /done=closed/);
  });

  it('cancelling an order asks first; moving it on does not', async () => {
    const s = new Shopper(net.main.url);
    await s.register('confirm@example.org', 'a long shopper password');
    await s.add('stove-gas');
    const group = /\/checkout\?group=([A-Za-z0-9_-]+)/.exec((await s.agent.get('/cart').expect(200)).text)![1]!;
    const number = orderNumberOf(await s.placeOrder(group));
    const state = () => net.main.shop.store.byNumber(number)!.state;
    const hidden = await askFirst(admin, '/admin/orders', `/admin/orders/${number}/state`, { state: 'cancelled' }, new RegExp(`Cancel order ${number}\\?[\\s\\S]*cannot be reopened`));
    assert.equal(state(), 'accepted');
    const csrf = csrfFrom((await admin.get('/admin/orders').expect(200)).text);
    await admin.post(`/admin/orders/${number}/state`).type('form').send({ _csrf: csrf, state: 'shipped' }).expect(303);
    assert.equal(state(), 'shipped');
    await admin.post(`/admin/orders/${number}/state`).type('form').send(hidden).expect(303);
    assert.equal(state(), 'cancelled');
  });

  it('console pages show instants as <time> with the UTC instant; counts use the plural helper', async () => {
    assert.equal(timeTag('2026-12-01T05:14:05.123Z'), '<time datetime="2026-12-01T05:14:05.123Z" title="2026-12-01 05:14:05 UTC">2026-12-01 05:14:05 UTC</time>');
    assert.equal(timeTag(null), '–');
    assert.deepEqual([plural(0, 'file'), plural(1, 'file'), plural(2, 'file'), plural(1, 'entry', 'entries'), plural(1500, 'page')], ['0 files', '1 file', '2 files', '1 entry', '1,500 pages']);
    const sync = (await manager.get('/manage/sync').expect(200)).text;
    assert.match(sync, /<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" title="[^"]+ UTC">/);
    assert.doesNotMatch(sync, /\(s\)/);
    const main = (await admin.get('/admin/sync').expect(200)).text;
    assert.match(main, /<time datetime="[^"]+Z" title="[^"]+ UTC">/);
    assert.match(main, /\b\d+ files?\b/);
    assert.match((await admin.get('/admin/').expect(200)).text, /<script src="\/console-assets\/console.js" defer><\/script>/);
    assert.match((await supertest(net.main.url).get('/console-assets/console.js').expect(200)).text, /time\[datetime\]/);
  });
});
