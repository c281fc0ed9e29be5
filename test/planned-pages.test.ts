import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import { api, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { Shopper } from './helpers/shopper.js';
import { csrfIn, HTML_WITH_SCRIPT, PNG, portalAgent, SVG_WITH_SCRIPT } from './helpers/planned.js';
import { TERMS_40_30 as TERMS } from './helpers/shares-terms.js';
import { decodeEntry } from '../common/logchain/entry.js';
import { runCli } from './helpers/cli.js';
import { TEST_TOKEN } from './helpers/network.js';
import { AppError } from '../common/errors.js';
import type { Response } from 'superagent';

/** supertest's parser for a binary body (a Buffer). */
const binary = (res: Response, cb: (err: Error | null, body: unknown) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

type Agent = ReturnType<typeof supertest.agent>;

describe('planned pages: planners, the assistant, contributions, buying on any site, inert delivery, use totals', function () {
  this.timeout(120_000);
  let net: SyncNetwork;
  let mb: Mailbox;
  let planner: Agent;
  let alice: Agent;
  let bob: Agent;
  let plannerId: string;
  let pageId: string;
  const ids: Record<string, string> = {};
  const push = async () => {
    for (const p of ['north', 'south']) assert.equal((await api(net.main.url, 'POST', `/admin/api/partners/${p}/push`, {})).body.outcome, 'active');
  };

  before(async () => {
    mb = await startMailbox();
    net = await startSyncNetwork([{ id: 'north' }, { id: 'south' }], { smtpHost: '127.0.0.1', smtpPort: mb.port, noticePollMs: 20, noticeRetryBaseMs: 30 });
  });
  after(async () => {
    await net.close();
    await mb.close();
  });

  it('a planner applies from the public form; bad input changes nothing; the operator approves with a contract and the planner reaches the portal', async () => {
    const visitor = supertest.agent(net.main.url);
    const form = await visitor.get('/planned-apply').expect(200);
    // Without the double-submit token: refused, nothing stored.
    await supertest(net.main.url).post('/planned-apply').type('form').send({ displayName: 'X', email: 'x@example.test', slug: 'xx', pitch: 'p' }).expect(403);
    await visitor
      .post('/planned-apply')
      .type('form')
      .send({ _csrf: csrfIn(form.text), displayName: 'Ridge Walks', email: 'planner@example.test', slug: 'Bad Slug!', pitch: 'Walks' })
      .expect(400);
    assert.equal(net.main.planned.applications().length, 0);
    const form2 = await visitor.get('/planned-apply').expect(200);
    await visitor
      .post('/planned-apply')
      .type('form')
      .send({ _csrf: csrfIn(form2.text), displayName: 'Ridge Walks', email: 'planner@example.test', slug: 'ridge-walks', pitch: 'A guide to the ridge, written by walkers.' })
      .expect(201);
    const [app] = net.main.planned.applications('pending');
    assert.ok(app);
    // A contract that does not parse is refused and approves nothing.
    const bad = await api(net.main.url, 'POST', `/admin/api/planned/applications/${app.id}/approve`, { terms: { ...TERMS, plannerShareBps: 9000 } });
    assert.equal(bad.status, 400);
    assert.equal(net.main.planned.applications('pending').length, 1);
    const ok = await api(net.main.url, 'POST', `/admin/api/planned/applications/${app.id}/approve`, { terms: TERMS, carriedBy: 'all' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    plannerId = ok.body.planner.partyId;
    assert.equal(ok.body.contract.version, 1);
    planner = await portalAgent(net.main.url, mb, 'planner@example.test');
    const home = await planner.get('/portal/planning/').expect(200);
    assert.match(home.text, /Contract version 1/);
  });

  it('the planner builds a page with the assistant, previews it, and opens it into a release that partners carry', async () => {
    const form = await planner.get('/portal/planning/new').expect(200);
    const bad = await planner
      .post('/portal/planning/new')
      .type('form')
      .send({ _csrf: csrfIn(form.text), layout: 'article', title: 'Ridge', description: 'x', sections: 'Stages', currency: 'EUR', formats: 'pdf' });
    assert.equal(bad.status, 400, 'no price at all is refused');
    assert.match(bad.text, /set a price/);
    const made = await planner
      .post('/portal/planning/new')
      .type('form')
      .send({
        _csrf: csrfIn(form.text),
        layout: 'cards',
        title: 'The Ridge, stage by stage',
        description: 'Walkers describe each stage of the ridge.',
        sections: 'Stages: one stage per contribution\nPictures: photos from the trail',
        currency: 'EUR',
        contributionPrice: '2.50',
        pagePrice: '9.99',
        formats: ['html', 'pdf', 'markdown'],
      })
      .expect(303);
    pageId = /pages\/(pp-[0-9a-f]{12})/.exec(made.headers.location!)![1]!;
    const preview = await planner.get(`/portal/planning/pages/${pageId}`).expect(200);
    assert.match(preview.text, /data-preview/);
    assert.match(preview.text, /The Ridge, stage by stage/);
    assert.equal((await supertest(net.main.url).get(`/planned/${pageId}`)).status, 404, 'a draft is not published');
    await planner
      .post(`/portal/planning/pages/${pageId}/open`)
      .type('form')
      .send({ _csrf: csrfIn(preview.text) })
      .expect(303);
    const pub = await supertest(net.main.url).get(`/planned/${pageId}`).expect(200);
    assert.match(pub.text, /A planned page by/);
    await push();
    const north = await supertest(net.partners.north!.url).get(`/planned/${pageId}`).expect(200);
    assert.match(north.text, /The Ridge, stage by stage/);
    const dir = await supertest(net.main.url).get('/planners').expect(200);
    assert.match(dir.text, /href="\/planners\/ridge-walks"/);
    assert.match(dir.text, /data-ad-place=/);
  });

  it('contributors register or are invited, must accept the page terms, and contribute text, pictures and files within the limits', async () => {
    const v = supertest.agent(net.main.url);
    const f = await v.get('/planned-register').expect(200);
    await v
      .post('/planned-register')
      .type('form')
      .send({ _csrf: csrfIn(f.text), displayName: 'Alice Walker', email: 'alice@example.test' })
      .expect(201);
    alice = await portalAgent(net.main.url, mb, 'alice@example.test');
    const pp = await planner.get(`/portal/planning/pages/${pageId}`).expect(200);
    await planner
      .post(`/portal/planning/pages/${pageId}/invite`)
      .type('form')
      .send({ _csrf: csrfIn(pp.text), displayName: 'Bob Climber', email: 'bob@example.test' })
      .expect(303);
    bob = await portalAgent(net.main.url, mb, 'bob@example.test');

    const send = async (agent: Agent, fields: Record<string, string>, file?: { data: Buffer; name: string }) => {
      const page = await agent.get(`/portal/contribute/pages/${pageId}`).expect(200);
      let req = agent.post(`/portal/contribute/pages/${pageId}/contribute`).field('_csrf', csrfIn(page.text));
      for (const [k, val] of Object.entries(fields)) req = req.field(k, val);
      if (file) req = req.attach('file', file.data, file.name);
      return req;
    };
    // Before accepting the terms: refused.
    const early = await send(alice, { section: 'stages', kind: 'text', title: 'Early', teaser: 't', body: 'b' });
    assert.equal(early.status, 403);
    for (const a of [alice, bob]) {
      const page = await a.get(`/portal/contribute/pages/${pageId}`).expect(200);
      assert.match(page.text, /30\.00% of the price of each sale of one of your contributions on its own; when the whole page is sold, 30\.00% of the whole-page price is divided equally/);
      await a
        .post(`/portal/contribute/pages/${pageId}/accept`)
        .type('form')
        .send({ _csrf: csrfIn(page.text) })
        .expect(303);
    }
    // Without the session's CSRF token: refused.
    const noCsrf = await alice.post(`/portal/contribute/pages/${pageId}/contribute`).field('section', 'stages').field('kind', 'text').field('title', 'T').field('teaser', 't').field('body', 'b');
    assert.equal(noCsrf.status, 403);
    const made = async (agent: Agent, key: string, fields: Record<string, string>, file?: { data: Buffer; name: string }) => {
      const r = await send(agent, fields, file);
      assert.equal(r.status, 303, r.text.slice(0, 400));
      ids[key] = /contributions\/(pc-[0-9a-f]{12})/.exec(r.headers.location!)![1]!;
    };
    await made(alice, 'aliceText', {
      section: 'stages',
      kind: 'text',
      title: 'Stage one: the saddle',
      teaser: 'Two hours of easy ground.',
      body: 'SECRET-ALICE-STAGE-ONE: start at the hut, keep left at the cairn.',
    });
    await made(alice, 'alicePng', { section: 'pictures', kind: 'image', title: 'The saddle at dawn', teaser: 'A photo.', body: '' }, { data: PNG, name: 'saddle.png' });
    await made(bob, 'bobText', { section: 'stages', kind: 'text', title: 'Stage two: the crest', teaser: 'Exposed but short.', body: 'SECRET-BOB-STAGE-TWO: clip in at the chains.' });
    await made(bob, 'bobHtml', { section: 'stages', kind: 'file', title: 'Route card', teaser: 'A card.', body: '' }, { data: HTML_WITH_SCRIPT, name: 'card.html' });
    await made(bob, 'bobSvg', { section: 'pictures', kind: 'file', title: 'Sketch', teaser: 'A sketch.', body: '' }, { data: SVG_WITH_SCRIPT, name: 'sketch.svg' });
    await made(bob, 'bobSpam', { section: 'stages', kind: 'text', title: 'Cheap boots here', teaser: 'Buy now.', body: 'REJECTED-SPAM-TEXT' });
    // An SVG (or HTML) sent as an image is refused: only raster pictures are ever shown inline.
    const svgImage = await send(bob, { section: 'pictures', kind: 'image', title: 'Fake', teaser: 'x', body: '' }, { data: SVG_WITH_SCRIPT, name: 'fake.png' });
    assert.equal(svgImage.status, 400);
    assert.match(svgImage.text, /PNG, JPEG, GIF or WebP/);
    const exe = await send(bob, { section: 'pictures', kind: 'file', title: 'Tool', teaser: 'x', body: '' }, { data: Buffer.from('MZ'), name: 'tool.exe' });
    assert.equal(exe.status, 400);
    const big = await send(bob, { section: 'pictures', kind: 'file', title: 'Big', teaser: 'x', body: '' }, { data: Buffer.alloc(net.main.planned.maxFileBytes() + 1, 65), name: 'big.txt' });
    assert.equal(big.status, 400);
    assert.match(big.text, /larger than/);
    const huge = await send(
      bob,
      { section: 'pictures', kind: 'file', title: 'Huge', teaser: 'x', body: '' },
      { data: Buffer.alloc(net.main.planned.maxFileBytes() + 256 * 1024, 65), name: 'huge.txt' },
    );
    assert.equal(huge.status, 413, 'a form beyond the limit is not read at all');
    // The form's framing: two files, a field twice, bytes that are not UTF-8, and a body that is not multipart are each refused.
    const page = await bob.get(`/portal/contribute/pages/${pageId}`).expect(200);
    const framed = () =>
      bob.post(`/portal/contribute/pages/${pageId}/contribute`).field('_csrf', csrfIn(page.text)).field('section', 'stages').field('kind', 'file').field('title', 'T').field('teaser', 't');
    const twoFiles = await framed().attach('file', Buffer.from('a'), 'a.txt').attach('other', Buffer.from('b'), 'b.txt');
    assert.equal(twoFiles.status, 400);
    assert.match(twoFiles.text, /one file at a time/);
    const twice = await framed().field('title', 'again').attach('file', Buffer.from('a'), 'a.txt');
    assert.equal(twice.status, 400);
    assert.match(twice.text, /field title appears twice/);
    // A field whose bytes are Latin-1 ("caf\\xe9"), framed by hand: a client library would encode the text as UTF-8.
    const raw = Buffer.concat([
      Buffer.from(`--b0undary\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfIn(page.text)}\r\n--b0undary\r\nContent-Disposition: form-data; name="body"\r\n\r\n`),
      Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      Buffer.from('\r\n--b0undary--\r\n'),
    ]);
    const latin1 = await bob.post(`/portal/contribute/pages/${pageId}/contribute`).set('content-type', 'multipart/form-data; boundary=b0undary').send(raw);
    assert.equal(latin1.status, 400);
    assert.match(latin1.text, /not valid UTF-8/);
    const urlencoded = await bob
      .post(`/portal/contribute/pages/${pageId}/contribute`)
      .type('form')
      .send({ _csrf: csrfIn(page.text), title: 'x' });
    assert.equal(urlencoded.status, 415);
    assert.equal(net.main.planned.contributionsBy(await bobId()).length, 4, 'refused contributions stored nothing');
  });

  const bobId = async () => net.main.portal.list({ kind: 'contributor' }).find((p) => p.email === 'bob@example.test')!.id;

  it("a contributor sees only their own contributions: another contributor's, and its file, answer 404", async () => {
    const own = await alice.get(`/portal/contribute/contributions/${ids.aliceText}`).expect(200);
    assert.match(own.text, /SECRET-ALICE-STAGE-ONE/);
    const other = await alice.get(`/portal/contribute/contributions/${ids.bobText}`);
    assert.equal(other.status, 404);
    assert.doesNotMatch(other.text, /SECRET-BOB/);
    assert.equal((await alice.get(`/portal/contribute/contributions/${ids.bobHtml}/file`)).status, 404);
    // A contributor is not a planner: the planner's section does not exist for them.
    assert.equal((await alice.get(`/portal/planning/contributions/${ids.bobText}`)).status, 404);
  });

  it('contributed active content (HTML with script, SVG with script) is served inert: a download, never a document of our origin', async () => {
    for (const key of ['bobHtml', 'bobSvg']) {
      for (const [agent, path] of [
        [bob, `/portal/contribute/contributions/${ids[key]}/file`],
        [planner, `/portal/planning/contributions/${ids[key]}/file`],
      ] as const) {
        const r = await agent.get(path).buffer(true).parse(binary);
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'application/octet-stream');
        assert.match(r.headers['content-disposition']!, /^attachment; filename="/);
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.match(r.headers['content-security-policy']!, /^sandbox; default-src 'none'/);
      }
    }
    const png = await alice.get(`/portal/contribute/contributions/${ids.alicePng}/file`).expect(200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.match(png.headers['content-security-policy']!, /sandbox/);
  });

  it('the planner moderates: a rejected contribution never appears anywhere; accepted ones show title and teaser only', async () => {
    const q = await planner.get('/portal/planning/queue').expect(200);
    for (const key of ['aliceText', 'alicePng', 'bobText', 'bobHtml', 'bobSvg']) {
      await planner
        .post(`/portal/planning/contributions/${ids[key]}/decide`)
        .type('form')
        .send({ _csrf: csrfIn(q.text), decision: 'accept' })
        .expect(303);
    }
    const noReason = await planner
      .post(`/portal/planning/contributions/${ids.bobSpam}/decide`)
      .type('form')
      .send({ _csrf: csrfIn(q.text), decision: 'reject', reason: '' });
    assert.equal(noReason.status, 400, 'a rejection needs a reason');
    await planner
      .post(`/portal/planning/contributions/${ids.bobSpam}/decide`)
      .type('form')
      .send({ _csrf: csrfIn(q.text), decision: 'reject', reason: 'Advertising' })
      .expect(303);
    const again = await planner
      .post(`/portal/planning/contributions/${ids.bobSpam}/decide`)
      .type('form')
      .send({ _csrf: csrfIn(q.text), decision: 'accept' });
    assert.equal(again.status, 409, 'a decision is final');
    const mine = await bob.get(`/portal/contribute/contributions/${ids.bobSpam}`).expect(200);
    assert.match(mine.text, /rejected/);
    assert.match(mine.text, /Advertising/);
    await push();
    for (const url of [net.main.url, net.partners.north!.url, net.partners.south!.url]) {
      const page = await supertest(url).get(`/planned/${pageId}`).expect(200);
      assert.match(page.text, /Stage one: the saddle/);
      assert.match(page.text, /Two hours of easy ground\./);
      assert.doesNotMatch(page.text, /SECRET-/, 'the content is for pay');
      assert.doesNotMatch(page.text, /Cheap boots|REJECTED-SPAM/, 'the rejected contribution never appears');
      assert.doesNotMatch(page.text, new RegExp(ids.bobSpam!));
      const sale = await supertest(url).get(`/assets/planned/${pageId}.json`).expect(200);
      assert.doesNotMatch(JSON.stringify(sale.body), new RegExp(`${ids.bobSpam}|Cheap boots`));
    }
  });

  let southShopper: Shopper;
  let orderId: string;
  it('a shopper on south buys the whole page: the bill names the planner as seller, the order goes to the main site in the common format, and the PDF downloads', async () => {
    southShopper = new Shopper(net.partners.south!.url);
    await southShopper.register('walker@example.test', 'walker password 1');
    await southShopper.login('walker@example.test', 'walker password 1');
    // Before buying: no delivery of anything.
    assert.equal((await southShopper.agent.get('/account/planned/po-0123456789abcdef')).status, 404);
    // The page answers the same bytes to an anonymous visitor (fast path) and a signed-in shopper (the page router).
    const anon = await supertest(net.partners.south!.url).get(`/planned/${pageId}`).expect(200);
    const signedIn = await southShopper.agent.get(`/planned/${pageId}`).expect(200);
    assert.equal(anon.text, signedIn.text);
    assert.equal(anon.headers.etag, signedIn.headers.etag);
    const bill = await southShopper.agent.get(`/planned-buy/${pageId}/page`).expect(200);
    assert.match(bill.text, /data-seller>Ridge Walks</);
    assert.match(bill.text, /9\.99/);
    const key = /name="key" value="([^"]+)"/.exec(bill.text)![1]!;
    // A total other than the one shown is never charged.
    const wrong = await southShopper.agent
      .post(`/planned-buy/${pageId}/page`)
      .type('form')
      .send({ _csrf: csrfIn(bill.text), key, total: '1' });
    assert.equal(wrong.status, 409);
    const placed = await southShopper.agent
      .post(`/planned-buy/${pageId}/page`)
      .type('form')
      .send({ _csrf: csrfIn(bill.text), key, total: '999' })
      .expect(303);
    orderId = /\/account\/planned\/(po-[0-9a-f]{16})/.exec(placed.headers.location!)![1]!;
    const order = net.main.planned.orders().find((o) => o.id === orderId)!;
    assert.equal(order.site, 'south');
    assert.equal(order.planner, plannerId);
    assert.equal(order.amount, 999);
    assert.equal(order.delivers.length, 5);
    // The same form again (a retry) places nothing new.
    await southShopper.agent
      .post(`/planned-buy/${pageId}/page`)
      .type('form')
      .send({ _csrf: csrfIn(bill.text), key, total: '999' })
      .expect(303);
    assert.equal(net.main.planned.orders().length, 1);

    const view = await southShopper.agent.get(`/account/planned/${orderId}`).expect(200);
    assert.match(view.text, /SECRET-ALICE-STAGE-ONE/);
    assert.match(view.text, /SECRET-BOB-STAGE-TWO/);
    assert.match(view.text, /data-seller>Ridge Walks</);
    assert.doesNotMatch(view.text, /<script>document\.title/, 'contributed HTML is never inlined');
    const pdf = await southShopper.agent.get(`/account/planned/${orderId}/download.pdf`).buffer(true).parse(binary).expect(200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.match(pdf.headers['content-disposition']!, /attachment/);
    assert.equal((pdf.body as Buffer).subarray(0, 5).toString('latin1'), '%PDF-');
    const md = await southShopper.agent.get(`/account/planned/${orderId}/download.md`).expect(200);
    assert.match(md.text, /SECRET-BOB-STAGE-TWO/);
    // In the page's order, section by section: Alice's picture was sent before Bob's stage two, yet comes after every stage.
    const partsAt = ['SECRET-ALICE-STAGE-ONE', 'SECRET-BOB-STAGE-TWO', 'Route card', 'The saddle at dawn', 'Sketch'].map((t) => md.text.indexOf(t));
    assert.ok(
      partsAt.every((at, i) => at >= 0 && (i === 0 || at > partsAt[i - 1]!)),
      `parts in page order: ${partsAt.join(', ')}`,
    );
    const file = await southShopper.agent.get(`/account/planned/${orderId}/file/${ids.bobSvg}`).buffer(true).parse(binary).expect(200);
    assert.equal(file.headers['content-type'], 'application/octet-stream');
    assert.match(file.headers['content-disposition']!, /^attachment/);
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    const account = await southShopper.agent.get('/account').expect(200);
    assert.match(account.text, /Planned pages you bought/);
    // No shop order here, but this purchase is an order: no "No orders yet" above it.
    assert.doesNotMatch(account.text, /No orders yet/);

    // Another shopper cannot open this order, on south or at the main site.
    const other = new Shopper(net.partners.south!.url);
    await other.register('other@example.test', 'other password 1');
    await other.login('other@example.test', 'other password 1');
    assert.equal((await other.agent.get(`/account/planned/${orderId}`)).status, 404);
    assert.equal((await other.agent.get(`/account/planned/${orderId}/download.pdf`)).status, 404);

    // Every access is logged at the main site.
    net.main.ctx.log.flush();
    const accesses = net.main.ctx.logStore
      .lines(0, net.main.ctx.log.size)
      .map((l) => decodeEntry(l)!)
      .filter((e) => e.type === 'planned_access' && e.order?.id === orderId);
    assert.deepEqual(accesses.map((e) => e.path.split('/')[4]).sort(), ['file', 'html', 'markdown', 'pdf']);
  });

  it("the common order format refuses a price other than the planner's, another planner, an unknown shopper, and a reused key", () => {
    const user = net.main.planned.orders()[0]!.userId;
    const base = { idempotencyKey: 'k'.repeat(20), user, planner: plannerId, page: pageId, items: [{ kind: 'contribution' as const, id: ids.aliceText! }], price: { amount: 250, currency: 'EUR' } };
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'placed';
      } catch (err) {
        return err instanceof AppError ? err.code : String(err);
      }
    };
    assert.equal(
      code(() => net.main.planned.placeOrder('north', { ...base, price: { amount: 1, currency: 'EUR' } })),
      'price_changed',
    );
    assert.equal(
      code(() => net.main.planned.placeOrder('north', { ...base, planner: 'p-000000000000' })),
      'planner_mismatch',
    );
    assert.equal(
      code(() => net.main.planned.placeOrder('north', { ...base, user: 'nobody' })),
      'user_unknown',
    );
    assert.equal(
      code(() => net.main.planned.placeOrder('north', { ...base, items: [{ kind: 'contribution', id: ids.bobSpam! }] })),
      'contribution_not_found',
    );
    assert.equal(
      code(() => net.main.planned.placeOrder('north', base)),
      'placed',
    );
    assert.equal(
      code(() => net.main.planned.placeOrder('north', { ...base, items: [{ kind: 'contribution', id: ids.bobText! }] })),
      'idempotency_key_reused',
    );
  });

  it('use totals: each party sees only its own lines in the portal, counted from the signed log, with its shares', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const p = await planner.get(`/portal/planning/totals?period=${period}`).expect(200);
    assert.match(p.text, /data-sales>2</);
    assert.match(p.text, /Your shares/);
    const a = await alice.get(`/portal/contribute/totals?period=${period}`).expect(200);
    assert.match(a.text, new RegExp(`data-contribution="${ids.aliceText}"`));
    assert.doesNotMatch(a.text, new RegExp(`${ids.bobText}|${ids.bobHtml}|Stage two`), 'no line of another contributor');
    assert.match(a.text, /data-line=/, 'the contributor sees the sale in its shares');
    const t = net.main.planned.totalsFor(net.main.portal.get(await bobId())!, period);
    const svg = t.lines.find((l) => l.contribution === ids.bobSvg)!;
    assert.equal(svg.sales, 1);
    // Downloads of the SVG contribution: the PDF, the Markdown and the file itself; the HTML view is a view.
    assert.equal(svg.downloads, 3);
    assert.equal(svg.views, 1);
    assert.ok(t.checkpoint && t.checkpoint.size > 0);
  });

  it('tieup planners, pages and contributions list what the console shows', async () => {
    const cli = async (...args: string[]) => {
      const r = await runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.match(await cli('planners'), new RegExp(`${plannerId}  Ridge Walks  /planners/ridge-walks  contract v1 from `));
    assert.match(await cli('planners', '--applications'), /approved {2}Ridge Walks <planner@example\.test>/);
    assert.match(await cli('pages', '--state', 'open'), new RegExp(`${pageId}  open  The Ridge, stage by stage  planner ${plannerId}  6 contribution\\(s\\)`));
    const rejected = await cli('contributions', '--state', 'rejected');
    assert.match(rejected, new RegExp(`${ids.bobSpam}  rejected  text  Cheap boots here .* reason: Advertising`));
    assert.doesNotMatch(rejected, /REJECTED-SPAM-TEXT/, 'never the content');
    const bad = await runCli(['planners', 'approve', 'pa-000000000000', '--url', net.main.url, '--token', TEST_TOKEN]);
    assert.equal(bad.code, 2, 'approve needs --contract');
  });

  it('periodic totals notices arrive once per party and period in a real SMTP server', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const first = net.main.planned.sendTotals(period);
    assert.equal(first.length, 3, 'the planner and both contributors');
    assert.ok(first.every((x) => x.created));
    const second = net.main.planned.sendTotals(period);
    assert.ok(
      second.every((x) => !x.created),
      'a second run sends nothing new',
    );
    for (const email of ['planner@example.test', 'alice@example.test', 'bob@example.test']) await mb.waitFor((m) => m.to.includes(email) && m.subject === `Use totals, ${period}`);
    await new Promise((r) => setTimeout(r, 300));
    for (const email of ['planner@example.test', 'alice@example.test', 'bob@example.test'])
      assert.equal(mb.messages.filter((m) => m.to.includes(email) && m.subject === `Use totals, ${period}`).length, 1, `${email} got one notice`);
    const alices = mb.messages.find((m) => m.to.includes('alice@example.test') && m.subject === `Use totals, ${period}`)!;
    assert.doesNotMatch(alices.text, /Stage two|Route card|Sketch/, 'only her own lines');
  });

  it('a shopper at the main site buys one contribution and gets only that contribution', async () => {
    const shopper = new Shopper(net.main.url);
    await shopper.register('reader@example.test', 'reader password 1');
    await shopper.login('reader@example.test', 'reader password 1');
    const bill = await shopper.agent.get(`/planned-buy/${pageId}/${ids.aliceText}`).expect(200);
    assert.match(bill.text, /data-seller>Ridge Walks</);
    assert.match(bill.text, /data-price>2\.50/);
    const key = /name="key" value="([^"]+)"/.exec(bill.text)![1]!;
    const placed = await shopper.agent
      .post(`/planned-buy/${pageId}/${ids.aliceText}`)
      .type('form')
      .send({ _csrf: csrfIn(bill.text), key, total: '250' })
      .expect(303);
    const id = /po-[0-9a-f]{16}/.exec(placed.headers.location!)![0];
    assert.equal(net.main.planned.orders().find((o) => o.id === id)!.site, 'main');
    const view = await shopper.agent.get(`/account/planned/${id}`).expect(200);
    assert.match(view.text, /SECRET-ALICE-STAGE-ONE/);
    assert.doesNotMatch(view.text, /SECRET-BOB/, 'only what was bought');
    // The picture of the same contributor is another contribution: not delivered by this order.
    assert.equal((await shopper.agent.get(`/account/planned/${id}/file/${ids.alicePng}`)).status, 404);
    // Without the session's token nothing is ordered.
    const forged = await shopper.agent
      .post(`/planned-buy/${pageId}/${ids.aliceText}`)
      .type('form')
      .send({ _csrf: 'forged', key: 'x'.repeat(24), total: '250' });
    assert.equal(forged.status, 403);
    assert.equal(net.main.planned.orders().filter((o) => o.userId === net.main.planned.orders().find((x) => x.id === id)!.userId).length, 1);
  });

  it('use totals count each view and download once: a HEAD or a prefetch delivers nothing and counts nothing', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const lineOf = (role: 'planner' | 'contributor') => {
      const l = net.main.planned.totals(period).lines.find((x) => x.role === role && x.page === pageId && (role === 'planner' || x.contribution === ids.aliceText));
      return { views: l?.views ?? 0, downloads: l?.downloads ?? 0 };
    };
    const before = { planner: lineOf('planner'), contributor: lineOf('contributor') };
    const shopper = new Shopper(net.partners.north!.url);
    await shopper.register('counter@example.test', 'counter password 1');
    await shopper.login('counter@example.test', 'counter password 1');
    const bill = await shopper.agent.get(`/planned-buy/${pageId}/${ids.aliceText}`).expect(200);
    const placed = await shopper.agent
      .post(`/planned-buy/${pageId}/${ids.aliceText}`)
      .type('form')
      .send({ _csrf: csrfIn(bill.text), key: /name="key" value="([^"]+)"/.exec(bill.text)![1]!, total: '250' })
      .expect(303);
    const id = /po-[0-9a-f]{16}/.exec(placed.headers.location!)![0];
    const views = 3;
    const downloads = 2;
    // The first view is the page the purchase lands on, as in a browser.
    for (let i = 0; i < views; i++) assert.match((await shopper.agent.get(`/account/planned/${id}`).expect(200)).text, /SECRET-ALICE-STAGE-ONE/);
    await shopper.agent.get(`/account/planned/${id}/download.pdf`).buffer(true).parse(binary).expect(200);
    await shopper.agent.get(`/account/planned/${id}/download.md`).expect(200);
    // What a link checker, a download manager or a browser's preloading sends: nothing is delivered, nothing counted.
    await shopper.agent.head(`/account/planned/${id}`).expect(405);
    await shopper.agent.head(`/account/planned/${id}/download.pdf`).expect(405);
    const prefetched = await shopper.agent.get(`/account/planned/${id}/download.md`).set('Sec-Purpose', 'prefetch').expect(503);
    assert.doesNotMatch(prefetched.text, /SECRET-ALICE/);
    await shopper.agent.get(`/account/planned/${id}`).set('Sec-Purpose', 'prefetch;prerender').expect(503);

    net.main.ctx.log.flush();
    const accesses = net.main.ctx.logStore
      .lines(0, net.main.ctx.log.size)
      .map((l) => decodeEntry(l)!)
      .filter((e) => e.type === 'planned_access' && e.order?.id === id);
    assert.equal(accesses.length, views + downloads, 'one log entry per access the shopper made');
    for (const role of ['planner', 'contributor'] as const) {
      const after = lineOf(role);
      assert.equal(after.views - before[role].views, views, `${role}: views`);
      assert.equal(after.downloads - before[role].downloads, downloads, `${role}: downloads`);
    }
    // The portal shows the same numbers to the planner.
    const shown = await planner.get(`/portal/planning/totals?period=${period}`).expect(200);
    const row = new RegExp(`data-page="${pageId}">[\\s\\S]*?data-views>(\\d+)<[\\s\\S]*?data-downloads>(\\d+)<`).exec(shown.text)!;
    assert.deepEqual([Number(row[1]), Number(row[2])], [before.planner.views + views, before.planner.downloads + downloads]);
  });

  it('a refunded order is no longer delivered', async () => {
    const r = await api(net.main.url, 'POST', `/admin/api/planned/orders/${orderId}/refund`, { reason: 'Shopper asked' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await southShopper.agent.get(`/account/planned/${orderId}/download.pdf`)).status, 410);
    assert.equal((await api(net.main.url, 'POST', `/admin/api/planned/orders/${orderId}/refund`, { reason: 'again' })).status, 410);
  });

  it("a partner the planner's contract does not name does not show or sell the page", async () => {
    const shopperPage = `/planned/${pageId}`;
    assert.equal((await api(net.main.url, 'PUT', `/admin/api/planned/planners/${plannerId}/carried-by`, { carriedBy: ['north'] })).status, 200);
    await push();
    await supertest(net.partners.north!.url).get(shopperPage).expect(200);
    const south = await supertest(net.partners.south!.url).get(shopperPage);
    assert.equal(south.status, 404);
    // South's release no longer holds the page or its sale data (planned-carriage.test.ts): nothing to show or bill.
    assert.doesNotMatch(south.text, /The Ridge, stage by stage/);
    const bill = await southShopper.agent.get(`/planned-buy/${pageId}/page`);
    assert.equal(bill.status, 404);
    // The main site refuses an order forwarded by south all the same.
    const user = net.main.planned.orders()[0]!.userId;
    assert.throws(
      () => net.main.planned.placeOrder('south', { idempotencyKey: 's'.repeat(20), user, planner: plannerId, page: pageId, items: [{ kind: 'page' }], price: { amount: 999, currency: 'EUR' } }),
      (err: unknown) => err instanceof AppError && err.code === 'not_for_sale',
    );
    assert.equal((await api(net.main.url, 'PUT', `/admin/api/planned/planners/${plannerId}/carried-by`, { carriedBy: 'all' })).status, 200);
    await push();
    await supertest(net.partners.south!.url).get(shopperPage).expect(200);
  });
});
