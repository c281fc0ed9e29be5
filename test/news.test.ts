import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { startMailbox, type Mailbox, type ReceivedMail } from '../cli/demo-mailbox.js';
import { AppError } from '../common/errors.js';
import { newsModule } from '../main-site/news/index.js';
import { usersModule } from '../main-site/users/index.js';
import { newsModule as partnerNewsModule } from '../partner-site/news/index.js';
import { consoleLogin } from './helpers/console-login.js';
import { csrfOf, Shopper } from './helpers/shopper.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

const PASSWORD = 'a long enough passphrase';
type Agent = ReturnType<typeof supertest.agent>;

/** Registers through the site's real form, ticking "send me news" or not. */
async function register(url: string, email: string, name: string, news: boolean): Promise<Shopper> {
  const s = new Shopper(url);
  const form = await s.agent.get('/account/register').expect(200);
  assert.match(form.text, /<input type="checkbox" name="news" value="yes">/, 'the registration form offers news, unticked');
  await s.agent
    .post('/account/register')
    .type('form')
    .send({ _csrf: csrfOf(form.text), email, name, password: PASSWORD, ...(news ? { news: 'yes' } : {}) })
    .expect(303);
  return s;
}

const keyOf = (html: string): string => /name="key" value="([^"]+)"/.exec(html)![1]!;
const linkIn = (text: string, kind: 'open' | 'unsubscribe'): string => new RegExp(`(http://[^\\s]+/news/${kind}/[^\\s]+)`).exec(text)![1]!;

describe('news: new-product notices to opted-in shoppers, on the partners’ behalf and by granted partners', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let mb: Mailbox;
  let admin: Agent;
  const north = () => net.partners.north!;
  const south = () => net.partners.south!;
  const news = () => net.main.use(newsModule);
  const mailsTo = (email: string, subject?: string) => mb.messages.filter((m: ReceivedMail) => m.to.includes(email) && (subject === undefined || m.subject === subject));
  /** Lets the outbox deliver everything due, then a moment more for a stray copy to show up. */
  const settle = async () => {
    await net.main.notices.kick();
    await sleep(150);
    await net.main.notices.kick();
  };
  const userId = (email: string) =>
    net.main
      .use(usersModule)
      .service.list()
      .find((u) => u.email === email)!.id;

  before(async () => {
    mb = await startMailbox();
    net = await startSyncNetwork([{ id: 'north', contract: { news: { shopperData: true } } }, { id: 'south' }], {
      smtpHost: '127.0.0.1',
      smtpPort: mb.port,
      mailFrom: 'Tieup <news@main.test>',
      noticeRetryBaseMs: 30,
      noticeRetryMaxMs: 200,
      noticePollMs: 20,
    });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/releases', { note: 'news' })).status, 201);
    admin = await consoleLogin(net.main.url, '/admin', 'operator');

    await register(north().url, 'ana@north.test', 'Ana North', true);
    await register(north().url, 'fay@north.test', 'Fay North', true);
    await register(north().url, 'bob@north.test', 'Bob North', false);
    const eve = await register(north().url, 'eve@north.test', 'Eve North', true);
    await register(south().url, 'cid@south.test', 'Cid South', true);
    const dan = await register(net.main.url, 'dan@main.test', 'Dan Main', true);
    await register(net.main.url, 'gil@main.test', 'Gil Main', true);

    // Eve changes her mind on her account page (a partner's: the setting is kept at the main site).
    const account = await eve.agent.get('/account').expect(200);
    assert.match(account.text, /You get our news by e-mail/);
    await eve.agent.post('/account/news').type('form').send({ news: 'no', _csrf: 'wrong' }).expect(403);
    assert.equal(news().optedIn(userId('eve@north.test')), true, 'a forged form changes nothing');
    await eve.agent
      .post('/account/news')
      .type('form')
      .send({ news: 'no', _csrf: csrfOf(account.text) })
      .expect(303);
    assert.match((await eve.agent.get('/account').expect(200)).text, /You do not get our news/);
    // On another partner her one account works, but news is not that site's to show or change: it says where it is.
    const eveOnSouth = new Shopper(south().url);
    await eveOnSouth.login('eve@north.test', PASSWORD);
    const there = (await eveOnSouth.agent.get('/account').expect(200)).text;
    assert.match(there, /You registered on another site of our network: news of new products comes from that site/);
    assert.doesNotMatch(there, /cannot be shown right now/);
    assert.doesNotMatch(there, /action="\/account\/news"/, 'no form to change another site’s setting');

    // Dan views the main site's about page while logged in: the access log records him as its viewer.
    await dan.agent.get('/about').expect(200);
  });
  after(async () => {
    await net?.close();
    await mb?.close();
  });

  it('consent is kept at the main site: ticked at registration on any site, withdrawn from the account page', () => {
    for (const e of ['ana@north.test', 'fay@north.test', 'cid@south.test', 'dan@main.test', 'gil@main.test']) assert.equal(news().optedIn(userId(e)), true, e);
    for (const e of ['bob@north.test', 'eve@north.test']) assert.equal(news().optedIn(userId(e)), false, e);
  });

  let campaignA = '';
  it('the operator sends to north’s opted-in shoppers: CSRF and confirmation first, then each of them once, nobody else, even when the send is repeated', async () => {
    const page = await admin.get('/admin/news').expect(200);
    const key = keyOf(page.text);
    const fields = { key, subject: 'New: the down bag', text: 'Our warmest bag yet.', link: '/shop/product/bag-down', site: 'north', viewed: '' };

    // The preview is a POST under the form's token (never a token in a URL), and changes nothing.
    await admin.post('/admin/news/preview').type('form').send(fields).expect(403);
    const preview = await admin
      .post('/admin/news/preview')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text) })
      .expect(200);
    assert.match(preview.text, /data-count="2"/, 'two opted-in shoppers of north');
    assert.equal(keyOf(preview.text), key, 'the previewed form keeps its campaign key');
    assert.match(
      (
        await admin
          .get('/admin/news')
          .query({ ...fields, site: '', preview: '1' })
          .expect(200)
      ).text,
      /data-count="5"/,
      'ana, fay, cid, dan, gil on any site',
    );

    // No form token: refused, nothing stored or sent.
    await admin.post('/admin/news/send').type('form').send(fields).expect(403);
    // No confirmation: the page asks first and says how many it reaches.
    const ask = await admin
      .post('/admin/news/send')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text) })
      .expect(200);
    assert.match(ask.text, /e-mails 2 opted-in shoppers registered on north/);
    assert.match(ask.text, /cannot be recalled/);
    assert.equal(news().figures().length, 0, 'nothing was sent before the confirmation');

    const sent = await admin
      .post('/admin/news/send')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text), confirmed: 'yes' })
      .expect(303);
    assert.match(sent.headers.location!, /done=sent/);
    const ana = await mb.waitFor((m) => m.to.includes('ana@north.test') && m.subject === 'New: the down bag');
    await mb.waitFor((m) => m.to.includes('fay@north.test') && m.subject === 'New: the down bag');

    // The same confirmed form again (a double click, a browser retry), and the service asked again: the same campaign, nothing more sent.
    const again = await admin
      .post('/admin/news/send')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text), confirmed: 'yes' })
      .expect(303);
    assert.match(again.headers.location!, /done=already/);
    const retry = news().send('main', { key, subject: fields.subject, text: fields.text, link: fields.link, audience: { site: 'north', viewed: null } }, 'test');
    assert.equal(retry.created, false);
    await settle();

    assert.equal(mailsTo('ana@north.test', 'New: the down bag').length, 1);
    assert.equal(mailsTo('fay@north.test', 'New: the down bag').length, 1);
    for (const e of ['bob@north.test', 'eve@north.test', 'cid@south.test', 'dan@main.test', 'gil@main.test']) assert.equal(mailsTo(e).length, 0, `${e} gets nothing`);

    assert.match(ana.text, /Hello Ana North,\s+Our warmest bag yet\./);
    const unsub = linkIn(ana.text, 'unsubscribe');
    assert.equal(ana.headers['list-unsubscribe'], `<${unsub}>`);
    assert.equal(ana.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
    campaignA = news().figures()[0]!.campaign;
    assert.deepEqual(
      news()
        .figures()
        .map((f) => [f.site, f.sent, f.opened, f.unsubscribed]),
      [['north', 2, 0, 0]],
    );
  });

  it('a campaign that does not parse is refused with invalid_campaign and sends nothing', async () => {
    const page = await admin.get('/admin/news').expect(200);
    const before = news().figures().length;
    const bad = await admin
      .post('/admin/news/send')
      .type('form')
      .send({ key: keyOf(page.text), subject: 'Two\r\nBcc: all@example.org', text: 'x', link: 'http://elsewhere.example/', site: 'north', viewed: '', _csrf: csrfOf(page.text), confirmed: 'yes' })
      .expect(400);
    assert.match(bad.text, /invalid_campaign|a subject is one line/);
    assert.match(bad.text, /a subject is one line/);
    assert.match(bad.text, /a path on the site/);
    assert.equal(news().figures().length, before);
  });

  it('the tracked link counts an opening and leads to the page on the shopper’s own site; a tampered one is refused', async () => {
    const ana = mailsTo('ana@north.test', 'New: the down bag')[0]!;
    const open = new URL(linkIn(ana.text, 'open'));
    const res = await supertest(net.main.url).get(open.pathname).expect(302);
    assert.equal(res.headers.location, `${north().url}/shop/product/bag-down`);
    // Twice by the same shopper is one shopper who opened it.
    await supertest(net.main.url).get(open.pathname).expect(302);
    const forged = open.pathname.replace(userId('ana@north.test'), userId('bob@north.test'));
    const bad = await supertest(net.main.url).get(forged).expect(400);
    assert.match(bad.text, /news_link_invalid/);
    assert.equal(news().figures({ site: 'north' })[0]!.opened, 1);
  });

  it('the unsubscribe link asks on GET, unsubscribes on POST (one click, RFC 8058), and a tampered one is refused', async () => {
    const ana = mailsTo('ana@north.test', 'New: the down bag')[0]!;
    const link = new URL(linkIn(ana.text, 'unsubscribe'));
    const sig = link.pathname.split('/').pop()!;
    const tampered = link.pathname.slice(0, -sig.length) + (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    assert.match((await supertest(net.main.url).get(tampered).expect(400)).text, /news_link_invalid/);
    assert.match((await supertest(net.main.url).post(tampered).type('form').send('List-Unsubscribe=One-Click').expect(400)).text, /news_link_invalid/);
    // Another shopper's id under Ana's signature.
    await supertest(net.main.url)
      .post(link.pathname.replace(userId('ana@north.test'), userId('fay@north.test')))
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(400);
    assert.equal(news().optedIn(userId('ana@north.test')), true, 'refused links change nothing');
    assert.equal(news().optedIn(userId('fay@north.test')), true);

    const ask = await supertest(net.main.url).get(link.pathname).expect(200);
    assert.match(ask.text, /ana@north\.test/);
    assert.match(ask.text, /<form method="post"/);
    assert.equal(news().optedIn(userId('ana@north.test')), true, 'a GET (a link scanner) unsubscribes nobody');
    await supertest(net.main.url).post(link.pathname).type('form').send('List-Unsubscribe=One-Click').expect(200);
    assert.equal(news().optedIn(userId('ana@north.test')), false);
    assert.deepEqual(
      news()
        .figures({ site: 'north' })
        .map((f) => [f.campaign, f.sent, f.opened, f.unsubscribed]),
      [[campaignA, 2, 1, 1]],
    );
  });

  it('the audience can be those who viewed a page: only Dan, who read /about on the main site, of the main site’s shoppers', async () => {
    const page = await admin.get('/admin/news').expect(200);
    const fields = { key: keyOf(page.text), subject: 'About us, again', text: 'Read it again.', link: '/about', site: 'main', viewed: '/about', _csrf: csrfOf(page.text), confirmed: 'yes' };
    await admin.post('/admin/news/send').type('form').send(fields).expect(303);
    await mb.waitFor((m) => m.to.includes('dan@main.test') && m.subject === 'About us, again');
    await settle();
    assert.equal(mailsTo('dan@main.test').length, 1);
    assert.equal(mailsTo('gil@main.test').length, 0, 'Gil asked for news but did not view the page');
    assert.equal(mailsTo('ana@north.test', 'About us, again').length, 0);
  });

  it('a partner without the grant is refused with news_not_granted; its manager sees figures but no compose form', async () => {
    const s = south().use(partnerNewsModule);
    await assert.rejects(
      s.send({ key: 'k'.repeat(24), subject: 'Ours', text: 'Ours.', link: '/', audience: { viewed: null } }),
      (e: unknown) => e instanceof AppError && e.code === 'news_not_granted' && e.status === 403,
    );
    await assert.rejects(s.preview(null), (e: unknown) => e instanceof AppError && e.code === 'news_not_granted');
    const manager = await consoleLogin(south().url, '/manage', 'manager');
    const page = await manager.get('/manage/news').expect(200);
    assert.match(page.text, /data-granted="no"/);
    const refused = await manager
      .post('/manage/news/send')
      .type('form')
      .send({ _csrf: csrfOf(page.text), confirmed: 'yes', key: 'k'.repeat(24), subject: 'Ours', text: 'Ours.', link: '/', viewed: '' })
      .expect(403);
    assert.match(refused.text, /news\.shopperData/);
    await settle();
    assert.equal(mailsTo('cid@south.test').length, 0);
  });

  it('a partner with the grant sends from its console to its own opted-in shoppers only, once, after confirming; its figures are its shoppers’', async () => {
    const manager = await consoleLogin(north().url, '/manage', 'manager');
    const page = await manager.get('/manage/news').expect(200);
    assert.match(page.text, /data-granted="yes"/);
    const fields = { key: keyOf(page.text), subject: 'North: winter sale', text: 'All tents 10% off.', link: '/shop', viewed: '' };
    const preview = await manager
      .post('/manage/news/preview')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text) })
      .expect(200);
    assert.match(preview.text, /data-count="1"/, 'Fay alone: Ana unsubscribed, Bob and Eve said no');
    await manager.post('/manage/news/send').type('form').send(fields).expect(403);
    const ask = await manager
      .post('/manage/news/send')
      .type('form')
      .send({ ...fields, _csrf: csrfOf(page.text) })
      .expect(200);
    assert.match(ask.text, /cannot be recalled/);
    for (let i = 0; i < 2; i++) {
      await manager
        .post('/manage/news/send')
        .type('form')
        .send({ ...fields, _csrf: csrfOf(page.text), confirmed: 'yes' })
        .expect(303);
    }
    const fay = await mb.waitFor((m) => m.to.includes('fay@north.test') && m.subject === 'North: winter sale');
    assert.match(fay.text, /news from north/);
    await settle();
    assert.equal(mailsTo('fay@north.test', 'North: winter sale').length, 1, 'once, though the confirmed form was sent twice');
    for (const e of ['ana@north.test', 'bob@north.test', 'eve@north.test', 'cid@south.test', 'dan@main.test', 'gil@main.test']) assert.equal(mailsTo(e, 'North: winter sale').length, 0, e);
    const open = new URL(linkIn(fay.text, 'open'));
    assert.equal((await supertest(net.main.url).get(open.pathname).expect(302)).headers.location, `${north().url}/shop`);

    const report = await north().use(partnerNewsModule).report();
    assert.equal(report.granted, true);
    assert.equal(report.optedIn, 1);
    assert.deepEqual(
      report.campaigns.map((c) => [c.sender, c.subject, c.sent, c.opened, c.unsubscribed]),
      [
        ['north', 'North: winter sale', 1, 1, 0],
        ['main', 'New: the down bag', 2, 1, 1],
      ],
    );
    const southReport = await south().use(partnerNewsModule).report();
    assert.deepEqual(southReport.campaigns, [], 'south’s shoppers got no campaign');
    const figures = (await manager.get('/manage/news').expect(200)).text;
    assert.match(figures, /North: winter sale/);
    assert.doesNotMatch(figures, /About us, again/, 'a partner sees only campaigns that reached its shoppers');
  });

  it('the operator’s campaign list filters by sender and site, and exports CSV', async () => {
    const page = await admin.get('/admin/news').query({ sender: 'north' }).expect(200);
    assert.match(page.text, /North: winter sale/);
    assert.doesNotMatch(page.text, /New: the down bag/);
    const csv = await admin.get('/admin/news.csv').query({ site: 'north' }).expect(200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const rows = parse<Record<string, string>>(csv.text, { columns: true });
    assert.deepEqual(rows.map((r) => [r.sender, r.subject, r.site, r.sent, r.opened, r.unsubscribed]).sort(), [
      ['main', 'New: the down bag', 'north', '2', '1', '1'],
      ['north', 'North: winter sale', 'north', '1', '1', '0'],
    ]);
    await admin.get('/admin/news.csv').query({ site: 'NOT A SITE' }).expect(400);
  });
  it('views on a partner count once its log is shipped to the main site: the audience of north’s shoppers who viewed /about there', async () => {
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/north/push', {})).body.outcome, 'active');
    const fay = new Shopper(north().url);
    await fay.login('fay@north.test', PASSWORD).then((r) => assert.equal(r.status, 303));
    const bob = new Shopper(north().url);
    await bob.login('bob@north.test', PASSWORD).then((r) => assert.equal(r.status, 303));
    await fay.agent.get('/about').expect(200);
    await bob.agent.get('/about').expect(200);
    const audience = { site: 'north', viewed: '/about' };
    // North ships its log every second (TIEUP_LOG_SHIP_MS); the main site sees the views once it has accepted them.
    const deadline = Date.now() + 15_000;
    while (news().audience(audience).length === 0) {
      assert.ok(Date.now() < deadline, 'north’s views never reached the main site');
      await sleep(100);
    }
    assert.deepEqual(
      news()
        .audience(audience)
        .map((r) => r.email),
      ['fay@north.test'],
      'Bob viewed it too but did not ask for news',
    );
  });
});
