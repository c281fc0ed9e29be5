import assert from 'node:assert/strict';
import { computeStatement, type Usage } from '../common/fees/engine.js';
import { parseFeeContract } from '../common/fees/contract.js';
import { usageFromBundle } from '../common/fees/usage-from-bundle.js';
import { encodeEntry, entryLeaf, ZERO_HASH, type EntryFields } from '../common/logchain/entry.js';
import { adPathOf, adsFeeCounts } from '../common/ads/index.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { TEST_TOKEN } from './helpers/network.js';
import { adOn, closeAgent, startAdsPair, testAd } from './helpers/ads-network.js';

const contract = (ads?: { mainAdCreditPerThousand: number; ownAdFeePerThousand: number }) =>
  parseFeeContract({
    partner: 'north',
    currency: 'EUR',
    timeZone: 'UTC',
    versions: [{ effectiveFrom: '2020-01-01', terms: { baseFee: { link: 1000, template: 2000, content: 3000 }, ...(ads ? { ads } : {}) } }],
  });

const adEntry = (path: string, time: string): EntryFields => ({
  time,
  site: 'north',
  type: 'ad',
  path,
  kind: 'none',
  release: null,
  status: 200,
  bytes: 0,
  user: null,
  session: '/products',
  client: null,
  ua: 'browser',
  order: null,
});

describe('ads in the partnership fee: a line for the main site’s advertisers’ ads and one for the partner’s own, from the `ad` entries', function () {
  this.timeout(60_000);

  it('prices deliveries per thousand (a credit for the main site’s ads, a fee for its own), rounded once per line', () => {
    const usage: Usage = {
      period: '2026-12',
      pageAccesses: { tieUp: 10, original: 0 },
      uniqueUsers: 1,
      content: { tieUpPages: 1, originalPages: 0, tieUpBytes: 1, originalBytes: 0 },
      orders: [],
      reversals: [],
      checkpoint: null,
      ads: { mainAds: 1234, ownAds: 500 },
    };
    const s = computeStatement(contract({ mainAdCreditPerThousand: 2005, ownAdFeePerThousand: 1000 }), usage, 'link');
    const main = s.lines.find((l) => l.code === 'ads.main')!;
    const own = s.lines.find((l) => l.code === 'ads.own')!;
    assert.equal(main.amount, -2474, '1234 x 20.05 EUR / 1000 = 24.7417 -> 24.74 credited');
    assert.equal(own.amount, 500);
    assert.equal(s.total, 1000 - 2474 + 500);
    // A contract without the rule has no ad lines, whatever was delivered.
    assert.equal(computeStatement(contract(), usage, 'link').lines.filter((l) => l.code.startsWith('ads.')).length, 0);
  });

  it('recomputes the counts offline from a bundle’s entries, each delivery once, only in the period', () => {
    const fields = [
      adEntry(adPathOf('ad-x', 'Labcdefgh1', 1), '2026-12-01T10:00:00.000Z'),
      adEntry(adPathOf('ad-x', 'Labcdefgh1', 2), '2026-12-01T10:00:01.000Z'),
      adEntry(adPathOf('ad-own', 'own', 1), '2026-12-02T10:00:00.000Z'),
      adEntry(adPathOf('ad-x', 'Labcdefgh2', 1), '2026-11-30T23:59:59.000Z'),
    ];
    let prev = ZERO_HASH;
    const lines = fields.map((f, i) => {
      const line = encodeEntry(prev, i, f);
      prev = entryLeaf(line).toString('hex');
      return line;
    });
    const u = usageFromBundle(lines.join('\n') + '\n', '2026-12', 'UTC', lines.length);
    assert.deepEqual(u.ads, { mainAds: 2, ownAds: 1 });
    assert.deepEqual(adsFeeCounts(fields), { mainAds: 3, ownAds: 1 });
  });

  it('puts the ads served on north into north’s statement at the main site, from its shipped and witnessed log', async () => {
    const net = await startAdsPair();
    try {
      const put = await fetch(`${net.main.url}/admin/api/partners/north/fee-contract`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          currency: 'EUR',
          timeZone: 'UTC',
          versions: [{ effectiveFrom: '2020-01-01', terms: { baseFee: { link: 1000, template: 2000, content: 3000 }, ads: { mainAdCreditPerThousand: 1000, ownAdFeePerThousand: 0 } } }],
        }),
      });
      assert.equal(put.status, 200, await put.text());
      net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-fee', { target: { sites: ['north'] } }), paidCount: 30, price: { amount: 100, currency: 'EUR' } }, 'test');
      net.ads.pay({ payment: 'fee-1', ad: 'ad-fee', amount: 100, currency: 'EUR' }, 'operator', 'test');
      for (let i = 0; net.ads.ad('ad-fee').state !== 'suspended'; i++) {
        if (i > 2000) throw new Error('never reached the count');
        await adOn(net.north.url);
      }
      assert.equal((await shipLog(net.north.ctx, net.north.ctx.logStore)).error, undefined);
      const period = new Date().toISOString().slice(0, 7);
      const r = await fetch(`${net.main.url}/admin/api/fees/statements/north/${period}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      const s = (await r.json()) as { lines: { code: string; amount: number; inputs: Record<string, number> }[] };
      const line = s.lines.find((l) => l.code === 'ads.main')!;
      assert.equal(line.inputs.mainAds, 30, 'the 30 deliveries on north, counted from its witnessed entries');
      assert.equal(line.amount, -30);
    } finally {
      await net.close();
      await closeAgent();
    }
  });
});
