// npm run bench:ads — in one run: (1) pages with an ad slot per second against the
// same page without an ad (ad_serve_ratio, target >= 0.9); (2) 20 runs of the
// concurrent cap test (main site + two partners, one a child process SIGKILLed
// while it holds a lease, then restarted): deliveries beyond the paid count
// (ad_overshoot, must be 0), and the time from the paid count reached to every
// site answering without the ad (stop_latency_s).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { fromRoot } from '../common/paths.js';
import { adEntriesIn, adOn, closeAgent, startAdsNetwork, startAdsPair, testAd } from '../test/helpers/ads-network.js';
import { closedLoop, fmt, pairedRatio, report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Many short rounds: the ratio is the median of per-round pairs (bench/lib/report.ts pairedRatio).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const RUNS = Number(process.env.BENCH_CAP_RUNS ?? 20);
const PAID = Number(process.env.BENCH_CAP_COUNT ?? 1000);

const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

let slots = 0;
let filled = 0;

async function serveRatio(): Promise<{ withAd: number[]; without: number[] }> {
  // Two pages with the same source on north; the ad targets one of them.
  const originals = mkdtempSync(join(tmpdir(), 'tieup-bench-ads-'));
  const source = readFileSync(fromRoot('partner-site/demo-original/north/local-news.md'), 'utf8');
  writeFileSync(join(originals, 'with-ad.md'), source);
  writeFileSync(join(originals, 'no-ad.md'), source);
  // The serving side at its production settings (common/ads/config.ts, main-site/ads/config.ts), not
  // the fast exchanges the tests use to wait less: those cost a s2s exchange every 100 ms.
  const net = await startAdsPair({ originalDir: originals, logLevel: 'silent', adsExchangeMs: 500, adsIdleReturnMs: 3000, adsLeaseTtlMs: 10_000, adsLeaseMarginMs: 1000 });
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  try {
    net.ads.create({ advertiser: net.advertiser, ad: testAd('ad-bench', { target: { pages: ['/with-ad'] } }), paidCount: 100_000_000, price: { amount: 1, currency: 'EUR' } }, 'bench');
    net.ads.pay({ payment: 'bench-1', ad: 'ad-bench', amount: 1, currency: 'EUR' }, 'operator', 'bench');
    for (let i = 0; (await adOn(net.north.url, '/with-ad')) !== 'ad-bench'; i++) {
      if (i > 400) throw new Error('the ad never showed');
      await sleep(25);
    }
    if ((await adOn(net.north.url, '/no-ad')) !== null) throw new Error('the page without a slot shows an ad');
    const get = (path: string, expectAd: boolean) => async () => {
      const r = await request(`${net.north.url}${path}`, { dispatcher: agent, headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0 (bench)' } });
      const body = await r.body.text();
      if (r.statusCode !== 200) throw new Error(String(r.statusCode));
      // A slot left empty (the lease ran dry before the next one arrived) still counts as a page; the fill rate says how often.
      if (expectAd) {
        slots++;
        if (body.includes('data-ad="ad-bench"')) filled++;
      }
    };
    // Warm both paths (the JIT, and the holder's rate estimate and leases) before anything counts: with 2 s
    // and 1 s both variants still sped up by half over the first 8 of 12 rounds on an idle machine.
    await closedLoop(get('/with-ad', true), CONCURRENCY, 4000);
    await closedLoop(get('/no-ad', false), CONCURRENCY, 4000);
    const withAd: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [withAd, without] : [without, withAd];
      for (const into of order) {
        const r = await closedLoop(into === withAd ? get('/with-ad', true) : get('/no-ad', false), CONCURRENCY, (SECONDS * 1000) / ROUNDS);
        if (r.errors > 0) throw new Error(`${r.errors} failed requests`);
        into.push(r.rps);
      }
    }
    return { withAd, without };
  } finally {
    await agent.close();
    await net.close();
    rmSync(originals, { recursive: true, force: true });
  }
}

async function capRuns(): Promise<{ overshoot: number[]; latency: number[]; kills: number }> {
  const net = await startAdsNetwork({ logLevel: 'silent' });
  const overshoot: number[] = [];
  const latency: number[] = [];
  let kills = 0;
  try {
    for (let run = 1; run <= RUNS; run++) {
      const id = `ad-run-${run}`;
      net.ads.create({ advertiser: net.advertiser, ad: testAd(id), paidCount: PAID, price: { amount: 100, currency: 'EUR' } }, 'bench');
      net.ads.pay({ payment: `run-${run}`, ad: id, amount: 100, currency: 'EUR' }, 'operator', 'bench');
      // Every answer per site: when it arrived and whether it showed the ad.
      const seen: [number, boolean][][] = net.urls.map(() => []);
      let done = false;
      const load = Promise.all(
        net.urls.flatMap((u, i) =>
          Array.from({ length: 50 }, async () => {
            while (!done) {
              const got = await adOn(u, '/');
              if (got === undefined) await sleep(20);
              else seen[i]!.push([Date.now(), got === id]);
            }
          }),
        ),
      );
      // Kill south while it holds a lease, then start it again. Waiting also for its first `ad` entry in its
      // database (a read of a growing file every 10 ms) let most runs end before the kill: 1 kill in 20 runs.
      // Until the allocator's warm-up (docs/ads.md), the main site's own holder often took all of a new count
      // before south asked, and south held no lease at all in 16 of 20 runs.
      let killedNow = false;
      const killer = (async () => {
        for (let i = 0; i < 400 && !done; i++) {
          if (net.ads.leases({ ad: id, site: 'south', state: 'open' }).length > 0) {
            // A moment of serving first, so the kill lands mid-lease: units taken, some committed, some not.
            await sleep(30);
            await net.south.kill();
            kills++;
            killedNow = true;
            await sleep(200);
            await net.south.start();
            return;
          }
          await sleep(10);
        }
      })();
      for (let i = 0; net.ads.ad(id).state !== 'suspended'; i++) {
        if (i > 6000) throw new Error(`run ${run}: never suspended (${net.ads.ad(id).delivered} delivered)`);
        await sleep(10);
      }
      const suspendedAt = Date.now();
      await killer;
      // Every site must now answer without the ad; keep the load on a little to catch any late delivery.
      await sleep(800);
      done = true;
      await load;
      const perSite = [adEntriesIn(net.main.ctx.config.dbFile, id), adEntriesIn(net.north.ctx.config.dbFile, id), adEntriesIn(net.south.dbFile, id)];
      const entries = perSite.flat();
      overshoot.push(Math.max(0, entries.length - PAID, net.ads.ad(id).delivered - PAID));
      // The paid count is reached at the last answer that showed the ad; a site has stopped at its first answer
      // without the ad after its last one with it (a site that stopped earlier counts 0).
      const reached = Math.max(
        ...seen
          .flat()
          .filter(([, ad]) => ad)
          .map(([t]) => t),
      );
      const stops = seen.map((answers) => {
        const last = Math.max(0, ...answers.filter(([, ad]) => ad).map(([t]) => t));
        const next = answers.filter(([t, ad]) => !ad && t >= last).map(([t]) => t);
        return next.length ? Math.max(0, Math.min(...next) - reached) / 1000 : Number.NaN;
      });
      if (stops.some((x) => Number.isNaN(x))) throw new Error(`run ${run}: a site was never seen without the ad`);
      latency.push(Math.max(...stops));
      net.ads.withdraw(id, 'bench');
      process.stdout.write(
        `run ${run}/${RUNS}: ${entries.length} delivered of ${PAID} paid (main ${perSite[0]!.length}, north ${perSite[1]!.length}, south ${perSite[2]!.length}; south ${killedNow ? 'killed and restarted' : 'not killed'}); main suspended it ${((suspendedAt - reached) / 1000).toFixed(3)} s after the last delivery; sites stopped ${stops.map((x) => x.toFixed(3)).join(', ')} s after it\n`,
      );
    }
  } finally {
    await net.close();
    await closeAgent();
  }
  return { overshoot, latency, kills };
}

console.log(
  `bench:ads: pages ${SECONDS} s per variant in ${ROUNDS} alternating rounds, ${CONCURRENCY} in flight; then ${RUNS} cap runs of ${PAID} paid deliveries on 3 sites (150 requests in flight, south SIGKILLed once per run)`,
);
const serve = await serveRatio();
const cap = await capRuns();
const paired = pairedRatio(serve.withAd, serve.without);
const ratio = paired.median;
const ratioOfMeans = avg(serve.withAd) / avg(serve.without);
const each = (a: number[]) => a.map((x) => fmt(x)).join(', ');
const overshootTotal = cap.overshoot.reduce((a, b) => a + b, 0);
report(
  'Ads: pages with an ad slot vs the same page without; exact caps under concurrency and a killed partner',
  [
    ['page with an ad slot', `${fmt(avg(serve.withAd))} pages/s  (${each(serve.withAd)})`],
    ['same page, no ad', `${fmt(avg(serve.without))} pages/s  (${each(serve.without)})`],
    ['ad_serve_ratio (>= 0.9)', `${fmt(ratio, 3)}  (median of ${ROUNDS} paired rounds, rounds ${fmt(paired.low, 2)}-${fmt(paired.high, 2)}; ratio of means ${fmt(ratioOfMeans, 3)})`],
    ['slots filled', `${fmt((100 * filled) / Math.max(1, slots), 1)} % of ${fmt(slots)} pages with a slot showed the ad`],
    ['cap runs', `${cap.overshoot.length} runs, ${cap.kills} partner kills while holding a lease`],
    ['ad_overshoot (must be 0)', `${overshootTotal} deliveries beyond the paid count in all runs`],
    ['stop_latency_s', `median ${fmt(median(cap.latency), 3)} s, max ${fmt(Math.max(...cap.latency), 3)} s (paid count reached -> every site answering without the ad)`],
  ],
  {
    ad_serve_ratio: Number(ratio.toFixed(3)),
    ad_serve_ratio_of_means: Number(ratioOfMeans.toFixed(3)),
    rounds: ROUNDS,
    ad_fill_rate: Number((filled / Math.max(1, slots)).toFixed(4)),
    ad_overshoot: overshootTotal,
    stop_latency_s: Number(median(cap.latency).toFixed(3)),
    stop_latency_max_s: Number(Math.max(...cap.latency).toFixed(3)),
    cap_runs: cap.overshoot.length,
    partner_kills: cap.kills,
  },
);
process.exit(0);
