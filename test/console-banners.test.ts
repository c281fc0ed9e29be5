import assert from 'node:assert/strict';
import supertest from 'supertest';
import { defineBanners } from '../common/web/banners.js';
import { startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { TEST_PASSWORD } from './helpers/network.js';

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
/** Every banner a console page shows: <p class="ok|error" role="status|alert">text</p>. */
const bannersOf = (html: string): { ok: boolean; text: string }[] => [...html.matchAll(/<p class="(ok|error)" role="(?:status|alert)">([^<]*)<\/p>/g)].map((m) => ({ ok: m[1] === 'ok', text: m[2]! }));

describe('console banners carry a message id from the server, never text from the URL', () => {
  let net: SyncNetwork;
  let admin: supertest.Agent;
  let manager: supertest.Agent;
  before(async () => {
    net = await startSyncNetwork([{ id: 'north' }]);
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
    admin = await login(net.main.url, '/admin', 'operator');
    manager = await login(net.partners.north!.url, '/manage', 'manager');
  });
  after(() => net.close());

  const pages = (): [supertest.Agent, string][] => [
    [admin, '/admin/sync'],
    [admin, '/admin/orders'],
    [admin, '/admin/fees'],
    [manager, '/manage/sync'],
    [manager, '/manage/orders'],
  ];

  it('?done= or ?error= with arbitrary text shows no banner on any console page', async () => {
    const attempts = ['anything', 'Your account is locked. Call +1 555 0100.', '<script>alert(1)</script>', 'published', 'toString', '__proto__', 'constructor'];
    for (const [agent, path] of pages()) {
      for (const text of attempts) {
        for (const key of ['done', 'error']) {
          const page = await agent.get(`${path}?${key}=${encodeURIComponent(text)}`).expect(200);
          assert.deepEqual(bannersOf(page.text), [], `${path}?${key}=${text} shows a banner`);
          assert.ok(!page.text.includes('+1 555 0100') && !page.text.includes('<script>alert'), `${path} shows text from the URL`);
        }
      }
    }
  });

  it('a known id shows its own text; a missing, malformed or mismatched parameter shows nothing', async () => {
    const shows = async (agent: supertest.Agent, url: string) => bannersOf((await agent.get(url).expect(200)).text);
    assert.deepEqual(await shows(admin, '/admin/sync?done=published&release=3'), [{ ok: true, text: 'Release 3 published.' }]);
    assert.deepEqual(await shows(admin, '/admin/sync?done=unchanged'), [{ ok: true, text: 'Nothing changed since the latest release.' }]);
    assert.deepEqual(await shows(admin, '/admin/sync?error=push_failed&partner=north'), [{ ok: false, text: 'The push to north failed; its last push below says why.' }]);
    assert.deepEqual(await shows(manager, '/manage/sync?done=approved&release=2'), [{ ok: true, text: 'Release 2 approved and served.' }]);
    assert.deepEqual(await shows(admin, '/admin/orders?done=order_moved&order=M-000001&state=shipped'), [{ ok: true, text: 'Order M-000001 is now shipped.' }]);
    // Counts carry their noun in the right number.
    assert.deepEqual(await shows(admin, '/admin/fees?done=closed&count=2&period=2026-10'), [{ ok: true, text: 'Closed 2 statements for 2026-10.' }]);
    assert.deepEqual(await shows(admin, '/admin/fees?done=closed&count=1&period=2026-10'), [{ ok: true, text: 'Closed 1 statement for 2026-10.' }]);
    for (const url of [
      '/admin/sync?done=published', // no release
      '/admin/sync?done=published&release=3%20and%20all%20your%20data', // not a whole number
      '/admin/sync?done=published&release=3&release=4', // twice
      '/admin/sync?done=push_failed&partner=north', // a failure id sent as a success
      '/admin/sync?error=published&release=3', // a success id sent as a failure
      '/admin/sync?error=push_failed&partner=North%20Shop%20is%20closed',
      '/admin/orders?done=order_moved&order=M-000001&state=refunded%20in%20full',
    ]) {
      assert.deepEqual(await shows(admin, url), [], `${url} shows a banner`);
    }
  });

  it('console actions redirect with an id and its parameters; a refused action is answered in place with its message', async () => {
    const sync = await admin.get('/admin/sync').expect(200);
    const published = await admin
      .post('/admin/sync/publish')
      .type('form')
      .send({ _csrf: csrfOf(sync.text), note: 'banner test' })
      .expect(303);
    assert.match(published.headers.location!, /^\/admin\/sync\?done=(published&release=\d+|unchanged)$/);
    assert.equal(bannersOf((await admin.get(published.headers.location!).expect(200)).text).length, 1);

    const orders = await admin.get('/admin/orders').expect(200);
    const refused = await admin
      .post('/admin/orders/M-999999/state')
      .type('form')
      .send({ _csrf: csrfOf(orders.text), state: 'shipped' });
    assert.equal(refused.status, 404);
    assert.deepEqual(bannersOf(refused.text), [{ ok: false, text: 'there is no order M-999999' }]);
  });

  it('defineBanners refuses a text whose placeholders are not declared, and never builds a link with a bad parameter', () => {
    assert.throws(() => defineBanners('t', { x: { text: 'Release {release}.' } }), /declares no parameters/);
    assert.throws(() => defineBanners('t', { x: { text: 'x {s}', params: { s: /[a-z]+/ } } }), /not anchored/);
    const b = defineBanners('t', { moved: { text: 'Order {order} moved.', params: { order: 'order' } }, broke: { text: 'It broke.', error: true } });
    assert.equal(b.href('/p?tab=2', 'moved', { order: 'N-1' }), '/p?tab=2&done=moved&order=N-1');
    assert.equal(b.href('/p', 'broke'), '/p?error=broke');
    assert.throws(() => b.href('/p', 'moved', { order: '<b>' }), /not a order/);
  });
});
