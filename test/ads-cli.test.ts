import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { TEST_TOKEN } from './helpers/network.js';
import { adOn, closeAgent, startAdsPair, testAd, type AdsPair } from './helpers/ads-network.js';

describe('ads: tieup ads | leases | points against the main site', function () {
  this.timeout(60_000);
  let net: AdsPair;
  before(async () => {
    net = await startAdsPair();
    net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-cli'), paidCount: 5, price: { amount: 700, currency: 'EUR' } }, 'test');
  });
  after(async () => {
    await net?.close();
    await closeAgent();
  });
  const cli = (...args: string[]) => runCli([...args, '--url', net.main.url, '--token', TEST_TOKEN]);

  it('lists ads with state and counts, records a payment once, lists leases, and refuses a payment without its reference', async () => {
    let r = await cli('ads');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ad-cli +Ad ad-cli +\[p-[0-9a-f]{12}\] +awaiting_payment +SC 0\/0/);
    r = await cli('ads', '--pay', 'ad-cli', '--amount', '700', '--currency', 'EUR');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--payment/);
    assert.equal(net.ads.ad('ad-cli').state, 'awaiting_payment');
    r = await cli('ads', '--pay', 'ad-cli', '--payment', 'cli-0001', '--amount', '700', '--currency', 'EUR');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ad-cli: payment cli-0001 recorded; now active, 5 paid in all/);
    r = await cli('ads', '--pay', 'ad-cli', '--payment', 'cli-0001', '--amount', '700', '--currency', 'EUR');
    assert.match(r.stdout, /was already recorded/);
    for (let i = 0; net.ads.ad('ad-cli').state !== 'suspended'; i++) {
      if (i > 1000) throw new Error('never reached the count');
      await adOn(net.north.url);
    }
    r = await cli('ads', '--state', 'suspended');
    assert.match(r.stdout, /ad-cli .* suspended +SC 5\/5 +delivered 5 of 5 paid/);
    r = await cli('leases', '--ad', 'ad-cli');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /L[A-Za-z0-9_-]+ +ad-cli +(north|main) +\d+\/\d+ +closed/);
    r = await cli('points', '--user', 'nobody');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /balance 0 points/);
  });
});
