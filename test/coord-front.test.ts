import assert from 'node:assert/strict';
import { describe, it, before, after } from 'mocha';
import { profile, startCoordNetwork, until, type CoordNetwork } from './helpers/coord.js';
import { csrfOf, Shopper } from './helpers/shopper.js';

const flourNorth = { id: 'flour-1kg', product: 'Mill flour', components: ['flour'], packSize: { quantity: 1, unit: 'kg' }, packLabel: 'bag', price: 120, stock: 20 };
const eggsGrocer = { id: 'eggs-6', product: 'Grocer eggs', components: ['eggs'], packSize: { quantity: 6, unit: 'each' }, packLabel: 'box', price: 280, stock: 10 };
const PASSWORD = 'a long enough passphrase';

const unescape = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** What a browser would post from the plan page's form as it stands: its hidden fields and each select's selected option. */
function planForm(html: string): Record<string, string> {
  const form = /<form method="post" action="[^"]+">([\s\S]*?)<\/form>/.exec(html)![1]!;
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]!] = unescape(m[2]!);
  for (const m of form.matchAll(/<select name="([^"]+)">([\s\S]*?)<\/select>/g)) {
    const sel = /<option value="([^"]*)" selected>/.exec(m[2]!) ?? /<option value="([^"]*)"/.exec(m[2]!);
    out[m[1]!] = unescape(sel![1]!);
  }
  return out;
}

/** The total the plan page shows (the summary's last cell), in minor units. */
function shownTotal(html: string): number {
  const t = /<tfoot>[\s\S]*?<strong>([0-9]+)\.([0-9]{2}) EUR<\/strong>/.exec(html)!;
  return Number(t[1]) * 100 + Number(t[2]);
}

/** The page's text as a shopper reads it (tags out). */
const textOf = (html: string) => html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ');

/**
 * The shopper's coordination pages at the main site (issue 17 walkthrough):
 * the plan page shows every line an order carries (goods per supplier, the
 * chosen hand-over's fee) and the total charged is the total shown; the
 * re-plan page leads back and says truly what is not covered; the pages name
 * suppliers, counts and lead times in words, never ids or schema messages.
 */
describe('coord front: what the shopper is shown is what is ordered', function () {
  this.timeout(90_000);
  let net: CoordNetwork;
  let s: Shopper;
  const userId = (email: string) => net.main.ctx.db.prepare<[string], { id: string }>('SELECT id FROM users WHERE email = ?').get(email)!.id;

  before(async () => {
    net = await startCoordNetwork({
      partners: {
        north: profile('North Outfitters', [flourNorth], {
          fulfilment: [{ id: 'pickup', method: 'pickup', fee: { amount: 0, currency: 'EUR' }, shop: { id: 'harbour', name: 'North shop' }, readyInMinutes: 150 }],
        }),
      },
      // The grocer offers delivery (3.00 EUR, one day) and pickup (free): "cheapest" picks pickup, the shopper may choose delivery.
      grocers: {
        grocer: profile('Corner Grocer', [eggsGrocer], {
          fulfilment: [
            { id: 'delivery', method: 'delivery', fee: { amount: 300, currency: 'EUR' }, readyInMinutes: 1440 },
            { id: 'pickup', method: 'pickup', fee: { amount: 0, currency: 'EUR' }, shop: { id: 'mill-street', name: 'Corner Grocer' }, readyInMinutes: 20 },
          ],
        }),
      },
    });
    s = new Shopper(net.main.url);
    await s.register('front@example.org', PASSWORD, 'Ada Cook');
  });
  after(async () => net?.close());

  /** Picks 300 g flour and 3 eggs, cheapest first, and asks the suppliers; answers the page, with the status expected. */
  const pick = async (status: number, extra: Record<string, string> = {}) => {
    const orders = await s.agent.get('/account').expect(200);
    return s.agent
      .post('/coord/quote')
      .type('form')
      .send({ _csrf: csrfOf(orders.text), c0_name: 'flour', c0_qty: '300', c0_unit: 'g', c0_pick: 'on', c1_name: 'eggs', c1_qty: '3', c1_unit: 'each', c1_pick: 'on', priority1: 'cheapest', ...extra })
      .expect(status);
  };

  it('a delivery fee chosen on the plan page is shown, line and total, before anything is ordered; the total charged is the total shown', async () => {
    const plan = await pick(200);
    const first = planForm(plan.text);
    assert.equal(first.f_grocer, 'pickup', 'cheapest proposes the free pickup');
    assert.equal(shownTotal(plan.text), 120 + 280);
    assert.equal(Number(first.shownTotal), 120 + 280);

    // The shopper switches the grocer to delivery and places the orders at once: nothing is ordered at the stale
    // total; the page comes back with the delivery fee as a line and the new total.
    const me = userId('front@example.org');
    const stale = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...first, f_grocer: 'delivery', name: 'Ada Cook', address: '7 Private Lane', phone: '+44 20 7946 0000' })
      .expect(409);
    assert.equal(net.main.coord.groupsOf(me).length, 0, 'nothing ordered at a total not shown');
    assert.match(stale.text, /the total is 7\.00 EUR, not the 4\.00 EUR shown before/);
    assert.match(stale.text, /<li class="fee" data-fulfilment="delivery">Delivery fee <span class="amount">3\.00 EUR<\/span><\/li>/);
    assert.equal(shownTotal(stale.text), 120 + 280 + 300);
    assert.match(stale.text, /Place the orders for 7\.00 EUR/);
    assert.match(stale.text, /name="address" value="7 Private Lane"/, 'what the shopper typed is kept');

    // "Update the total" shows the same without an order being tried.
    const updated = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...first, f_grocer: 'delivery', update: '1' })
      .expect(200);
    assert.equal(shownTotal(updated.text), 700);

    // A total that is not the one these choices add up to is refused too (total_changed), nothing ordered.
    const again = planForm(stale.text);
    const tampered = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...again, shownTotal: '400', name: 'Ada Cook', address: '7 Private Lane', phone: '+44 20 7946 0000' })
      .expect(409);
    assert.match(tampered.text, /the total is 7\.00 EUR, not the 4\.00 EUR shown before/);
    assert.equal(net.main.coord.groupsOf(me).length, 0);

    // Placed from the page that showed 7.00 EUR: the group charges 7.00 EUR, the grocer's part with its fee.
    const placed = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...again, name: 'Ada Cook', address: '7 Private Lane', phone: '+44 20 7946 0000' })
      .expect(303);
    const [g] = net.main.coord.groupsOf(me);
    assert.ok(g);
    assert.match(placed.headers.location!, new RegExp(`/coord/groups/${g.id}$`));
    assert.equal(g.total.amount, shownTotal(stale.text), 'charged total == shown total');
    const grocer = g.orders.find((o) => o.supplier === 'grocer')!;
    assert.equal(grocer.part.fulfilment.method, 'delivery');
    assert.deepEqual([grocer.part.goods.amount, grocer.part.fee.amount, grocer.part.total.amount], [280, 300, 580]);
    const page = await s.agent.get(`/coord/groups/${g.id}`).expect(200);
    assert.match(page.text, /Total 7\.00 EUR/);
    assert.match(page.text, /Delivery fee 3\.00 EUR/);
  });

  it('names, counts and lead times in words: no supplier ids, no "each", no "1440 min"', async () => {
    const plan = await pick(200);
    const text = textOf(plan.text);
    assert.match(text, /3 eggs -&gt; 1 x box of 6 \(3 left over\)/);
    assert.doesNotMatch(text, /\beach\b/);
    assert.match(plan.text, /at your door in 1 day\)/);
    assert.match(plan.text, /ready in 2 h 30 min\)/);
    assert.doesNotMatch(text, /1440 min|150 min/, 'no lead time left in raw minutes');
    assert.doesNotMatch(text, /\b(grocer|north)\b/, 'suppliers by name, not id');
    // The picking page's preferred-supplier choice uses the names the suppliers gave in their quotes.
    const suppliers = net.main.coord.suppliers();
    assert.deepEqual(suppliers.map((x) => x.name).sort(), ['Corner Grocer', 'North Outfitters']);
  });

  it('a form that does not read is answered in words, never with schema paths or messages', async () => {
    const bad = await pick(400, { c0_qty: 'lots' });
    assert.match(bad.text, /The quantity of &quot;flour&quot; must be a number above 0\./);
    assert.doesNotMatch(bad.text, /components\.0|Invalid input|expected number/);
    // Delivery without a phone: the plan page again, with the reason, not a dead end.
    const plan = await pick(200);
    const f = planForm(plan.text);
    const upd = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...f, f_grocer: 'delivery', update: '1' })
      .expect(200);
    const r = await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...planForm(upd.text), name: 'Ada Cook', address: '7 Private Lane' })
      .expect(400);
    assert.match(r.text, /Enter a phone number/);
    assert.match(r.text, /class="coord-plan"/);
    assert.doesNotMatch(r.text, /contact\.|Too small|Invalid/);
  });

  it('the re-plan page leads back to the order, says who was not asked again, and has no empty "Why this plan"', async () => {
    const me = userId('front@example.org');
    const before = new Set(net.main.coord.groupsOf(me).map((g) => g.id));
    const plan = await pick(200);
    await s.agent
      .post('/coord/order')
      .type('form')
      .send({ ...planForm(plan.text), name: 'Ada Cook' })
      .expect(303);
    const g = net.main.coord.groupsOf(me).find((x) => !before.has(x.id))!;
    const eggs = g.orders.find((o) => o.supplier === 'grocer')!;
    net.grocers.grocer!.supply.decide(eggs.id, 'refused', 'no eggs today', 'test');
    await until(() => net.main.coord.view(net.main.coord.store.group(g.id)!).state === 'needs_replan', 10_000, 'needs re-plan');

    const group = await s.agent.get(`/coord/groups/${g.id}`).expect(200);
    const r = await s.agent
      .post(`/coord/groups/${g.id}/replan`)
      .type('form')
      .send({ _csrf: csrfOf(group.text) })
      .expect(200);
    assert.match(r.text, new RegExp(`<a href="/coord/groups/${g.id}">Back to your order`));
    assert.match(r.text, /No other supplier can supply what is missing now\./);
    // The grocer does offer eggs; it refused, and was not asked again: the page says so rather than "no supplier offers it".
    assert.match(r.text, /Not covered: 3 eggs \(no other supplier offers it\)\. Corner Grocer could not fill its order and was not asked again\./);
    assert.doesNotMatch(r.text, /no supplier offers it/);
    assert.doesNotMatch(r.text, /Why this plan/);
    assert.doesNotMatch(r.text, /Total 0\.00/);
  });
});
