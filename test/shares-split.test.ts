import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { contributorPayText, plannerTerms, reverseParts, saleRecord, splitSale, type PlannerTerms } from '../common/planned/shares/index.js';
import { rng } from './helpers/rng.js';
import { TERMS, TERMS_40_30 } from './helpers/shares-terms.js';

const PLANNER = 'p-00000000000a';
const C = ['p-0000000000c1', 'p-0000000000c2', 'p-0000000000c3'];

describe('planned shares: exact split of a sale', () => {
  it('the contributor terms say what the split pays a contributor for a sale of one contribution and for a whole-page sale', () => {
    const terms = plannerTerms.parse(TERMS_40_30);
    const text = contributorPayText(terms.contributorPay, 'EUR', 'you');
    const sale = (kind: 'page' | 'contribution', n: number, amount: number) =>
      saleRecord.parse({
        saleId: `w-${kind}`,
        time: '2026-11-10T12:00:00.000Z',
        planner: PLANNER,
        page: 'field-notes',
        kind,
        contributions: C.slice(0, n).map((c, k) => ({ contribution: `c${k}`, contributor: c, uses: 1 })),
        amount,
        currency: 'EUR',
        site: 'main',
        orderRef: `o-${kind}`,
      });
    // One contribution on its own: the stated 30.00% of its price.
    assert.match(text, /^30\.00% of the price of each sale of one of your contributions on its own/);
    const one = splitSale(sale('contribution', 1, 250), terms, 'main').find((p) => p.role === 'contributor')!;
    assert.equal(one.amount, 75);
    // The whole page with three contributions: each gets the stated 10.00% of the page price, not 30.00%.
    assert.match(text, /with 3 contributions, 10\.00% of the page price each/);
    const whole = splitSale(sale('page', 3, 900), terms, 'main').filter((p) => p.role === 'contributor');
    assert.deepEqual(
      whole.map((p) => p.amount),
      [90, 90, 90],
    );
    assert.match(contributorPayText({ basis: 'fixed_fee', fee: 500 }, 'EUR', 'they'), /fixed fee of 5\.00 EUR .*sales pay them nothing more/);
  });

  it('a sale on north of a page with three contributors splits to main, north, the planner and the three contributors, summing exactly to the price (1,000 random cases)', () => {
    const r = rng(16);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    let uneven = 0;
    for (let i = 0; i < 1000; i++) {
      // Every share at least 1 bp, so each of the six parties has a part; main the remainder or explicit.
      const partner = int(1, 2000);
      const planner = int(1, 4000);
      const contributors = int(1, 3000);
      const explicit = r() < 0.5;
      const basis = r() < 0.5 ? 'contribution_sales' : 'page_sales_by_use';
      const terms: PlannerTerms = plannerTerms.parse({
        currency: r() < 0.3 ? 'JPY' : 'EUR',
        plannerShareBps: planner,
        contributorPay: { basis, bps: contributors },
        partnerHandlingBps: partner,
        mainShare: explicit ? { type: 'explicit', bps: 10_000 - partner - planner - contributors } : { type: 'remainder' },
        holdingDays: 0,
        payoutMinimum: 0,
        statementCycle: 'monthly',
      });
      // Prices from 1 minor unit to about 10^7, most of which do not divide by 10000 or by the use total.
      const price = r() < 0.1 ? int(1, 99) : int(100, 10_000_000);
      const sale = saleRecord.parse({
        saleId: `s${i}`,
        time: '2026-11-10T12:00:00.000Z',
        planner: PLANNER,
        page: 'field-notes',
        kind: 'page',
        contributions: C.map((c, k) => ({ contribution: `c${k}`, contributor: c, uses: int(0, 50) })),
        amount: price,
        currency: terms.currency,
        site: 'north',
        orderRef: `o${i}`,
      });
      const parts = splitSale(sale, terms, 'main');
      assert.equal(
        parts.reduce((s, p) => s + p.amount, 0),
        price,
        `case ${i}: parts sum to the price`,
      );
      assert.deepEqual(
        parts.map((p) => `${p.role}:${p.party}`),
        ['main:main', 'partner:north', `planner:${PLANNER}`, ...C.map((c) => `contributor:${c}`)],
        `case ${i}: the six parties`,
      );
      for (const p of parts) {
        assert.ok(p.amount >= 0, `case ${i}: no negative part`);
        // Largest remainder: each part is its exact share rounded down, or up by one minor unit.
        const exactFloor = (BigInt(price) * p.num) / p.den;
        assert.ok(BigInt(p.amount) === exactFloor || BigInt(p.amount) === exactFloor + 1n, `case ${i}: ${p.role} within one minor unit of its exact share`);
        if ((BigInt(price) * p.num) % p.den !== 0n) uneven++;
      }
      // A full refund in two random pieces takes back every part exactly.
      const first = int(1, price);
      const back = [...reverseParts(sale, terms, 'main', 0, first)];
      if (first < price) reverseParts(sale, terms, 'main', first, price - first).forEach((p, k) => (back[k]!.amount += p.amount));
      assert.deepEqual(
        back.map((p) => -p.amount),
        parts.map((p) => p.amount),
        `case ${i}: refunds reverse every part`,
      );
    }
    assert.ok(uneven > 1000, 'most cases had shares that do not divide evenly');
  });

  it('a page sold before it has contributions gives the contributors’ share to the planner; a sale on the main site gives the handling share to the main site', () => {
    const terms = plannerTerms.parse(TERMS);
    const sale = saleRecord.parse({
      saleId: 's',
      time: '2026-11-10T12:00:00.000Z',
      planner: PLANNER,
      page: 'p',
      kind: 'page',
      contributions: [],
      amount: 1001,
      currency: 'EUR',
      site: 'main',
      orderRef: 'o',
    });
    const parts = splitSale(sale, terms, 'main');
    assert.deepEqual(
      parts.map((p) => [p.role, p.amount]),
      // 500.5 each: the tie goes to the first in the fixed order (main, partner, planner, contributors).
      [
        ['main', 501],
        ['planner', 500],
      ],
    );
  });

  it('contract terms are refused when written wrong', () => {
    const base = {
      currency: 'EUR',
      plannerShareBps: 3000,
      contributorPay: { basis: 'contribution_sales', bps: 2000 },
      partnerHandlingBps: 1000,
      mainShare: { type: 'remainder' },
      holdingDays: 0,
      payoutMinimum: 0,
      statementCycle: 'monthly',
    };
    assert.ok(plannerTerms.safeParse(base).success);
    for (const bad of [
      { ...base, plannerShareBps: 9000 }, // shares over 100%
      { ...base, mainShare: { type: 'explicit', bps: 1000 } }, // explicit shares must add up to 100%
      { ...base, currency: 'XXX' },
      { ...base, plannerShareBps: 12.5 },
      { ...base, contributorPay: { basis: 'fixed_fee', bps: 10 } },
      { ...base, statementCycle: 'yearly' },
      { ...base, extra: 1 },
      (({ holdingDays: _h, ...rest }) => rest)(base), // nothing is defaulted
    ]) {
      assert.equal(plannerTerms.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
