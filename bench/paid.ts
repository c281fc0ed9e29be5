// npm run bench:paid — a paid item's page with the key check against the same
// page served as an ordinary page (no check), and access keys issued per second
// over s2s against plain authenticated s2s calls; in one run, alternating rounds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { PAID_KEY_ISSUE, SHOP_ORDER_BY_KEY, SHOP_STATE, USERS_REGISTER } from '../common/protocol/index.js';
import { api, startSyncNetwork } from '../test/helpers/sync-network.js';
import { closedLoop, fmt, pairedRatio, report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Many short rounds: the ratios are the median of per-round pairs (bench/lib/report.ts pairedRatio).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);

const net = await startSyncNetwork([{ id: 'north' }], { logLevel: 'silent' });
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
try {
  const main = net.main;
  const north = net.partners.north!;
  // The same source as an ordinary page: what serving costs without the key check.
  net.write('pages/bench-stage.md', readFileSync(join(net.contentDir, 'paid/trail-guide/pages/stages/one.md'), 'utf8'));
  if ((await api(main.url, 'POST', '/admin/api/releases', { note: 'bench' })).status !== 201) throw new Error('publish failed');
  const pushed = await api<{ outcome: string }>(main.url, 'POST', '/admin/api/partners/north/push', {});
  if (pushed.body.outcome !== 'active') throw new Error(`push failed: ${JSON.stringify(pushed.body)}`);
  const user = (await north.ctx.client.send('main', USERS_REGISTER, { email: 'bench@example.org', name: 'Bench', password: 'a long enough passphrase', clientIp: '' })).body.id;
  let n = 0;
  const idem = () => `bench-key-${process.pid}-${String(++n).padStart(10, '0')}`;
  const key = (await north.paid.requestKey(user, 'trail-guide', '127.0.0.1', idem())).path;
  const paidUrl = `${main.url}${key}stages/one`;
  const plainUrl = `${main.url}/bench-stage`;

  const get = (url: string) => async () => {
    const r = await request(url, { dispatcher: agent, headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0 (bench)' } });
    await r.body.arrayBuffer();
    if (r.statusCode !== 200) throw new Error(String(r.statusCode));
  };
  const paidBody = await (await request(paidUrl)).body.text();
  const plainBody = await (await request(plainUrl)).body.text();
  if (!paidBody.includes('Stage 1') || !plainBody.includes('Stage 1')) throw new Error('the pages do not answer');
  const issue = async () => {
    await north.ctx.client.send('main', PAID_KEY_ISSUE, { idempotencyKey: idem(), user, item: 'trail-guide', clientAddress: '127.0.0.1' });
  };
  const plainS2s = async () => {
    await north.ctx.client.send('main', SHOP_STATE, undefined);
  };
  // The same transport as a key request (a signed POST with a JSON body of an idempotency key, one
  // indexed lookup at the main site), doing nothing else: what a key costs beyond being an s2s POST.
  const plainPost = async () => {
    await north.ctx.client.send('main', SHOP_ORDER_BY_KEY, { idempotencyKey: idem() });
  };

  const measure = async (op: () => Promise<unknown>, concurrency: number) => {
    const r = await closedLoop(op, concurrency, (SECONDS * 1000) / ROUNDS);
    if (r.errors > 0) throw new Error(`${r.errors} failed operations`);
    return r.rps;
  };
  console.log(`bench:paid: ${SECONDS} s per variant in ${ROUNDS} alternating rounds, ${CONCURRENCY} pages or s2s calls in flight; sites and load in one process`);
  // Warm both paths (JIT, rendered-page cache, the key's check cached).
  await closedLoop(get(paidUrl), CONCURRENCY, 500);
  await closedLoop(get(plainUrl), CONCURRENCY, 500);
  // The first second of issuing runs slower (its statements and the key table's pages are not warm
  // yet: the first measured round was 10% below the others with 300 ms of warm-up), so each s2s
  // variant warms for a second, key issues for three (their first measured round was still at half speed).
  await closedLoop(issue, CONCURRENCY, 3000);
  await closedLoop(plainS2s, CONCURRENCY, 1000);
  await closedLoop(plainPost, CONCURRENCY, 1000);
  const paid: number[] = [];
  const plain: number[] = [];
  const keys: number[] = [];
  const s2s: number[] = [];
  const posts: number[] = [];
  // ABBA order, pages first and s2s after: neither variant always follows the other, and the
  // database work of issuing keys (WAL growth, checkpoints) never lands in a page round.
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? [paid, plain] : [plain, paid];
    for (const into of order) into.push(await measure(get(into === paid ? paidUrl : plainUrl), CONCURRENCY));
  }
  const s2sOps = new Map<number[], () => Promise<void>>([
    [keys, issue],
    [s2s, plainS2s],
    [posts, plainPost],
  ]);
  for (let i = 0; i < ROUNDS; i++) {
    // Rotated, so no variant always runs first or last in a round.
    const order = [keys, posts, s2s].map((_, j, all) => all[(i + j) % all.length]!);
    for (const into of order) into.push(await measure(s2sOps.get(into)!, CONCURRENCY));
  }
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const checkPair = pairedRatio(paid, plain);
  const issuePair = pairedRatio(keys, posts);
  const checkRatio = checkPair.median;
  const issueRatio = issuePair.median;
  const issueRatioGet = pairedRatio(keys, s2s).median;
  const spread = (r: { low: number; high: number }) => `rounds ${fmt(r.low, 2)}-${fmt(r.high, 2)}`;
  const each = (a: number[]) => a.map((x) => fmt(x)).join(', ');
  report(
    'Paid pages with the key check vs the same page without; keys issued over s2s vs plain authenticated s2s calls',
    [
      ['paid page, key checked', `${fmt(avg(paid))} pages/s  (${each(paid)})`],
      ['same page, ordinary', `${fmt(avg(plain))} pages/s  (${each(plain)})`],
      ['key_check_ratio', `${fmt(checkRatio, 2)}   target >= 0.9  (median of ${ROUNDS} paired rounds, ${spread(checkPair)}; ratio of means ${fmt(avg(paid) / avg(plain), 2)})`],
      ['keys issued over s2s', `${fmt(avg(keys))} /s  (${each(keys)})`],
      ['plain s2s POSTs (shop.order-by-key)', `${fmt(avg(posts))} /s  (${each(posts)})`],
      ['key_issue_ratio (vs the POSTs)', `${fmt(issueRatio, 2)}   target >= 0.8  (median of ${ROUNDS} paired rounds, ${spread(issuePair)}; ratio of means ${fmt(avg(keys) / avg(posts), 2)})`],
      ['plain s2s GETs (shop.state)', `${fmt(avg(s2s))} /s  (${each(s2s)})`],
      ['keys vs the GETs', `${fmt(issueRatioGet, 2)}   (the earlier baseline: no request body)`],
      ['keys issued in all', fmt(n)],
    ],
    {
      paid_page_rps: Math.round(avg(paid)),
      plain_page_rps: Math.round(avg(plain)),
      key_check_ratio: Number(checkRatio.toFixed(3)),
      keys_per_s: Math.round(avg(keys)),
      plain_s2s_post_per_s: Math.round(avg(posts)),
      plain_s2s_get_per_s: Math.round(avg(s2s)),
      key_issue_ratio: Number(issueRatio.toFixed(3)),
      key_issue_ratio_vs_get: Number(issueRatioGet.toFixed(3)),
      key_check_ratio_of_means: Number((avg(paid) / avg(plain)).toFixed(3)),
      key_issue_ratio_of_means: Number((avg(keys) / avg(posts)).toFixed(3)),
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
    },
  );
} finally {
  await agent.close();
  await net.close();
}
