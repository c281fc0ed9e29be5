import assert from 'node:assert/strict';
import { parseFeeContract } from '../common/fees/contract.js';
import { computeStatement, periodBounds, type Usage } from '../common/fees/engine.js';
import { formatMoney, roundDiv } from '../common/money.js';
import type { PartnershipType } from '../common/release/manifest.js';

// The partnership type is an input of its own (it lives in the partner's sync terms), 'content' unless a case says otherwise.
const BASE = { baseFee: { link: 2000, template: 5000, content: 10000 } };
const contract = (terms: Record<string, unknown>, currency = 'EUR', extra: Record<string, unknown> = {}) =>
  parseFeeContract({ partner: 'north', currency, versions: [{ effectiveFrom: '2026-01-01', terms: { ...BASE, ...terms } }], ...extra });
const usage = (u: Partial<Usage> = {}): Usage => ({
  period: '2026-11',
  pageAccesses: { tieUp: 0, original: 0 },
  uniqueUsers: 0,
  content: { tieUpPages: 0, originalPages: 0, tieUpBytes: 0, originalBytes: 0 },
  orders: [],
  reversals: [],
  checkpoint: { site: 'north', size: 0, root: '00' },
  ...u,
});
const amounts = (s: ReturnType<typeof computeStatement>) => s.lines.map((l) => [l.code, l.amount]);

describe('fee engine: hand-computed statements', () => {
  const cases: { name: string; terms: Record<string, unknown>; type?: PartnershipType; usage: Partial<Usage>; currency?: string; lines: [string, number][]; total: number }[] = [
    { name: 'base fee alone, zero traffic', terms: {}, usage: {}, lines: [['base', 10000]], total: 10000 },
    { name: 'each partnership type', terms: {}, type: 'link', usage: {}, lines: [['base', 2000]], total: 2000 },
    {
      name: 'optional services, each a surcharge',
      terms: { services: { integrityWatch: 1500, centralUsers: 2500 } },
      usage: {},
      lines: [
        ['base', 10000],
        ['service.integrityWatch', 1500],
        ['service.centralUsers', 2500],
      ],
      total: 14000,
    },
    {
      name: 'contribution discount exactly at a tier boundary (30.00% share)',
      terms: {
        contributionDiscount: [
          { minOriginalShareBps: 1000, discountBps: 500 },
          { minOriginalShareBps: 3000, discountBps: 2000 },
        ],
      },
      usage: { pageAccesses: { tieUp: 7000, original: 3000 } },
      lines: [
        ['base', 10000],
        ['discount.contribution', -2000],
      ],
      total: 8000,
    },
    {
      name: 'contribution discount just below a boundary (29.99%)',
      terms: {
        contributionDiscount: [
          { minOriginalShareBps: 1000, discountBps: 500 },
          { minOriginalShareBps: 3000, discountBps: 2000 },
        ],
      },
      usage: { pageAccesses: { tieUp: 7001, original: 2999 } },
      lines: [
        ['base', 10000],
        ['discount.contribution', -500],
      ],
      total: 9500,
    },
    {
      name: 'contribution discount with zero traffic',
      terms: { contributionDiscount: [{ minOriginalShareBps: 1000, discountBps: 500 }] },
      usage: {},
      lines: [
        ['base', 10000],
        ['discount.contribution', 0],
      ],
      total: 10000,
    },
    {
      name: 'graduated volume incentive over two bands',
      terms: {
        volumeIncentive: [
          { above: 10000, discountBps: 1000 },
          { above: 50000, discountBps: 2000 },
        ],
      },
      // 40,000 accesses at 10% and 10,000 at 20% over 60,000: 10000 x (4e7 + 2e7) / (6e4 x 1e4) = 1000
      usage: { pageAccesses: { tieUp: 60000, original: 0 } },
      lines: [
        ['base', 10000],
        ['discount.volume', -1000],
      ],
      total: 9000,
    },
    {
      name: 'volume incentive exactly at the threshold gives nothing',
      terms: { volumeIncentive: [{ above: 10000, discountBps: 1000 }] },
      usage: { pageAccesses: { tieUp: 10000, original: 0 } },
      lines: [
        ['base', 10000],
        ['discount.volume', 0],
      ],
      total: 10000,
    },
    {
      name: 'handling fee per order: percentage plus fixed, minimum, maximum, and a half rounded away from zero',
      terms: { handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 } },
      usage: {
        orders: [
          { id: 'o1', amount: 10000, currency: 'EUR' }, // 250 + 30
          { id: 'o2', amount: 1020, currency: 'EUR' }, // 25.5 -> 26, + 30
          { id: 'o3', amount: 100, currency: 'EUR' }, // 2.5 -> 3, + 30 = 33 -> minimum 50
          { id: 'o4', amount: 100000, currency: 'EUR' }, // 2500 + 30 -> maximum 1000
        ],
      },
      lines: [
        ['base', 10000],
        ['handling', 280],
        ['handling', 56],
        ['handling', 50],
        ['handling', 1000],
      ],
      total: 11386,
    },
    {
      name: "a refund after the order's period was closed reverses the fee in the refund's period",
      terms: { handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 } },
      usage: { reversals: [{ orderId: 'o1', orderAmount: 10000, currency: 'EUR', kind: 'refund' }] },
      lines: [
        ['base', 10000],
        ['handling.reversal', -280],
      ],
      total: 9720,
    },
    {
      name: 'a currency with no minor unit (JPY)',
      currency: 'JPY',
      terms: { handlingFee: { bps: 300, fixed: 0, min: 0, max: 100000 } },
      usage: {
        orders: [
          { id: 'j1', amount: 1234, currency: 'JPY' },
          { id: 'j2', amount: 1250, currency: 'JPY' },
        ],
      }, // 37.02 -> 37; 37.5 -> 38
      lines: [
        ['base', 10000],
        ['handling', 37],
        ['handling', 38],
      ],
      total: 10075,
    },
    {
      name: 'size classes, exactly at a class boundary and just past it',
      terms: {
        basis: 'size',
        sizeClasses: {
          measure: 'pages',
          classes: [
            { name: 'S', upTo: 100, fee: 5000 },
            { name: 'M', upTo: 1000, fee: 9000 },
            { name: 'L', fee: 15000 },
          ],
        },
      },
      usage: { content: { tieUpPages: 60, originalPages: 40, tieUpBytes: 0, originalBytes: 0 } },
      lines: [['base', 5000]],
      total: 5000,
    },
    {
      name: 'all rules together; discounts capped at the base fee',
      terms: {
        services: { integrityWatch: 1500 },
        contributionDiscount: [{ minOriginalShareBps: 3000, discountBps: 2000 }],
        volumeIncentive: [
          { above: 10000, discountBps: 1000 },
          { above: 50000, discountBps: 2000 },
        ],
        handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 },
      },
      usage: {
        pageAccesses: { tieUp: 42000, original: 18000 },
        orders: [{ id: 'o1', amount: 10000, currency: 'EUR' }],
        reversals: [{ orderId: 'o0', orderAmount: 1010, currency: 'EUR', kind: 'cancel' }], // 25.25 -> 25, + 30 = 55
      },
      lines: [
        ['base', 10000],
        ['service.integrityWatch', 1500],
        ['discount.contribution', -2000],
        ['discount.volume', -1000],
        ['handling', 280],
        ['handling.reversal', -55],
      ],
      total: 8725,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = computeStatement(contract(c.terms, c.currency), usage(c.usage), c.type ?? 'content');
      assert.deepEqual(amounts(s), c.lines);
      assert.equal(s.total, c.total);
      for (const l of s.lines) {
        assert.ok(l.name && l.formula, 'every line says what it is and how it was computed');
        assert.ok(Number.isSafeInteger(l.amount));
      }
    });
  }

  it('one class up when the content grows past the boundary', () => {
    const s = computeStatement(
      contract({
        basis: 'size',
        sizeClasses: {
          measure: 'pages',
          classes: [
            { name: 'S', upTo: 100, fee: 5000 },
            { name: 'M', upTo: 1000, fee: 9000 },
            { name: 'L', fee: 15000 },
          ],
        },
      }),
      usage({ content: { tieUpPages: 61, originalPages: 40, tieUpBytes: 0, originalBytes: 0 } }),
      'content',
    );
    assert.equal(s.total, 9000);
  });

  it('a contract change applies from its date; earlier periods keep the version they used', () => {
    const c = parseFeeContract({
      partner: 'north',
      currency: 'EUR',
      versions: [
        { effectiveFrom: '2026-01-01', terms: BASE },
        { effectiveFrom: '2026-06-01', terms: { ...BASE, baseFee: { ...BASE.baseFee, content: 12000 } } },
      ],
    });
    const may = computeStatement(c, usage({ period: '2026-05' }), 'content');
    const june = computeStatement(c, usage({ period: '2026-06' }), 'content');
    assert.deepEqual([may.total, may.contractVersion], [10000, '2026-01-01']);
    assert.deepEqual([june.total, june.contractVersion], [12000, '2026-06-01']);
    assert.throws(() => computeStatement(c, usage({ period: '2025-12' }), 'content'), /no contract version/);
  });

  it("the seed's sites: C and D carry the same pages, but C's original pages draw visitors, so C pays less; B has few original pages", () => {
    const terms = {
      basis: 'size',
      sizeClasses: {
        measure: 'pages',
        classes: [
          { name: 'S', upTo: 100, fee: 6000 },
          { name: 'M', upTo: 500, fee: 10000 },
          { name: 'L', fee: 16000 },
        ],
      },
      contributionDiscount: [
        { minOriginalShareBps: 1000, discountBps: 1000 },
        { minOriginalShareBps: 3000, discountBps: 2500 },
      ],
    };
    const B = computeStatement(contract(terms), usage({ content: { tieUpPages: 197, originalPages: 3, tieUpBytes: 0, originalBytes: 0 }, pageAccesses: { tieUp: 9800, original: 200 } }), 'content');
    const C = computeStatement(contract(terms), usage({ content: { tieUpPages: 200, originalPages: 100, tieUpBytes: 0, originalBytes: 0 }, pageAccesses: { tieUp: 6000, original: 4000 } }), 'content');
    const D = computeStatement(contract(terms), usage({ content: { tieUpPages: 200, originalPages: 100, tieUpBytes: 0, originalBytes: 0 }, pageAccesses: { tieUp: 9500, original: 500 } }), 'content');
    assert.deepEqual([B.total, C.total, D.total], [10000, 7500, 10000]);
  });

  it('refuses orders in another currency and malformed periods; validates contracts with clear messages', () => {
    assert.throws(
      () => computeStatement(contract({ handlingFee: { bps: 1, fixed: 0, min: 0, max: 9 } }), usage({ orders: [{ id: 'x', amount: 1, currency: 'USD' }] }), 'content'),
      /in USD, the contract in EUR/,
    );
    assert.throws(() => computeStatement(contract({}), usage({ period: '2026-13' }), 'content'), /YYYY-MM/);
    assert.throws(() => contract({ baseFee: { link: 1.5, template: 0, content: 0 } }), /integers/);
    assert.throws(() => contract({}, 'XXX'), /ISO 4217/);
    assert.throws(() => contract({ handlingFee: { bps: 1, fixed: 0, min: 10, max: 5 } }), /min must not exceed/);
    assert.throws(() => contract({ basis: 'size' }), /needs sizeClasses/);
  });

  it('rounds halves away from zero and formats money by its minor unit', () => {
    assert.deepEqual([roundDiv(5n, 2n), roundDiv(-5n, 2n), roundDiv(4n, 3n), roundDiv(-7n, 4n)], [3, -3, 1, -2]);
    assert.equal(formatMoney({ amount: 12345, currency: 'EUR' }), '123.45 EUR');
    assert.equal(formatMoney({ amount: -5, currency: 'EUR' }), '-0.05 EUR');
    assert.equal(formatMoney({ amount: 12345, currency: 'JPY' }), '12345 JPY');
    assert.equal(formatMoney({ amount: 1500, currency: 'BHD' }), '1.500 BHD');
  });

  it("computes calendar months in the contract's time zone", () => {
    const tokyo = periodBounds('2026-11', 'Asia/Tokyo');
    assert.equal(tokyo.start.toISOString(), '2026-10-31T15:00:00.000Z');
    assert.equal(tokyo.end.toISOString(), '2026-11-30T15:00:00.000Z');
    const berlin = periodBounds('2026-03', 'Europe/Berlin');
    assert.equal(berlin.start.toISOString(), '2026-02-28T23:00:00.000Z');
    assert.equal(berlin.end.toISOString(), '2026-03-31T22:00:00.000Z');
    assert.equal(periodBounds('2026-12', 'UTC').end.toISOString(), '2027-01-01T00:00:00.000Z');
  });
});

describe('fee engine: properties over random contracts and usage', () => {
  function rng(seed: number) {
    let s = seed >>> 0;
    return (n: number) => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return Math.floor((s / 2 ** 32) * n);
    };
  }
  const r = rng(424242);
  const randomTerms = () => {
    const a = r(4000);
    const b = a + 1 + r(4000);
    const v1 = r(50000);
    // Drawn in the same order as when the type sat in the fee terms, so the cases are the same.
    const type = (['link', 'template', 'content'] as const)[r(3)]!;
    return {
      type,
      baseFee: { link: r(5000), template: r(10000), content: r(20000) },
      services: r(2) ? { integrityWatch: r(3000) } : {},
      contributionDiscount: r(2)
        ? [
            { minOriginalShareBps: a, discountBps: r(3000) },
            { minOriginalShareBps: b, discountBps: 3000 + r(3000) },
          ]
        : [],
      volumeIncentive: r(2)
        ? [
            { above: v1, discountBps: r(2000) },
            { above: v1 + 1 + r(50000), discountBps: 2000 + r(2000) },
          ]
        : [],
      handlingFee: r(2) ? { bps: r(1000), fixed: r(100), min: r(50), max: 50 + r(5000) } : undefined,
    };
  };

  it('the total is the sum of the lines; discounts never take the base fee below zero; more original share never raises the fee', () => {
    for (let i = 0; i < 500; i++) {
      const { type, ...t } = randomTerms();
      const c = parseFeeContract({ partner: 'p', currency: r(2) ? 'EUR' : 'JPY', versions: [{ effectiveFrom: '2026-01-01', terms: t }] });
      const total = r(200000);
      const original = r(total + 1);
      const u = usage({ pageAccesses: { tieUp: total - original, original }, orders: Array.from({ length: r(4) }, (_, k) => ({ id: `o${k}`, amount: r(100000), currency: c.currency })) });
      const s = computeStatement(c, u, type);
      assert.equal(
        s.total,
        s.lines.reduce((x, l) => x + l.amount, 0),
      );
      const base = s.lines.find((l) => l.code === 'base')!.amount;
      const discounts = s.lines.filter((l) => l.code.startsWith('discount.')).reduce((x, l) => x + l.amount, 0);
      assert.ok(base + discounts >= 0, 'discounts never exceed the base fee');
      for (const l of s.lines) if (l.amount < 0) assert.ok(l.code.startsWith('discount.') || l.code === 'handling.reversal', `only discounts and reversals are negative (${l.code})`);
      const more = Math.min(total, original + 1 + r(total + 1));
      const s2 = computeStatement(c, { ...u, pageAccesses: { tieUp: total - more, original: more } }, type);
      assert.ok(s2.total <= s.total, `more original share raised the fee: ${s.total} -> ${s2.total}`);
    }
  });
});
