// npm run bench:planned — a planned page (published in a release, served by a partner as a
// tie-up page) against the shop's product page on the same partner, in one run, alternating rounds.
// pageRatio() is exported so bench:shares can fold page_ratio into its own report.
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { TERMS_40_30 as TERMS } from '../test/helpers/shares-terms.js';
import { api, startSyncNetwork } from '../test/helpers/sync-network.js';
import { closedLoop, fmt, pairedRatio, report } from './lib/report.js';

export interface PageRatio {
  planned_page_rps: number;
  product_page_rps: number;
  /** The median of the paired rounds' ratios, with their lowest and highest and the ratio of the means. */
  page_ratio: number;
  page_ratio_low: number;
  page_ratio_high: number;
  page_ratio_of_means: number;
  rounds: number;
  contributions: number;
  concurrency: number;
}

/** Serves a planned page with `contributions` accepted contributions and the shop's product page on a partner; returns pages/s and their ratio. */
export async function pageRatio(o: { seconds?: number; concurrency?: number; rounds?: number; contributions?: number } = {}): Promise<PageRatio> {
  const seconds = o.seconds ?? Number(process.env.BENCH_SECONDS ?? 12);
  const concurrency = o.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 32);
  // Many 1 s rounds, the ratio their paired median (bench/lib/report.ts pairedRatio): four 0.5 s rounds
  // swung page_ratio between 0.86 and 1.05 from one run to the next on an idle machine.
  const rounds = o.rounds ?? Number(process.env.BENCH_ROUNDS ?? 12);
  const contributions = o.contributions ?? 24;
  const net = await startSyncNetwork([{ id: 'north' }], { logLevel: 'silent' });
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  try {
    const { planned, portal } = net.main;
    const app = planned.apply({ email: 'bench-planner@example.org', displayName: 'Bench Planner', slug: 'bench-planner', pitch: 'Bench' });
    const { planner } = planned.approve(app.id, { terms: TERMS }, 'bench');
    const page = planned.createPage(planner.partyId, {
      layout: 'cards',
      title: 'Bench page',
      description: 'A planned page with contributions.',
      sections: [
        { id: 'one', heading: 'One', intro: 'First section' },
        { id: 'two', heading: 'Two', intro: 'Second section' },
      ],
      currency: 'EUR',
      contributionPrice: 250,
      pagePrice: 999,
      formats: ['html', 'pdf', 'markdown'],
    });
    planned.openPage(planner.partyId, page.id);
    const contributor = portal.invite({ email: 'bench-contributor@example.org', kind: 'contributor', displayName: 'Bench Contributor' }, 'bench').party.id;
    planned.acceptTerms(contributor, page.id);
    for (let i = 0; i < contributions; i++) {
      const c = planned.contribute(
        contributor,
        page.id,
        { section: i % 2 ? 'two' : 'one', kind: 'text', title: `Contribution ${i}`, teaser: `Teaser of contribution ${i}, free to read.`, body: 'Paid text. '.repeat(50) },
        null,
      );
      planned.decide(planner.partyId, c.id, 'accept', '');
    }
    const pushed = await api<{ outcome: string }>(net.main.url, 'POST', '/admin/api/partners/north/push', {});
    if (pushed.body.outcome !== 'active') throw new Error(`push failed: ${JSON.stringify(pushed.body)}`);
    const north = net.partners.north!;
    const plannedUrl = `${north.url}/planned/${page.id}`;
    const productUrl = `${north.url}/shop/product/tent-2p`;
    const get = (url: string) => async () => {
      const r = await request(url, { dispatcher: agent, headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0 (bench)' } });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(String(r.statusCode));
    };
    const body = await (await request(plannedUrl)).body.text();
    if (!body.includes(`Contribution ${contributions - 1}`)) throw new Error('the planned page does not answer with its contributions');
    await closedLoop(get(plannedUrl), concurrency, 2000);
    await closedLoop(get(productUrl), concurrency, 2000);
    const plannedRps: number[] = [];
    const productRps: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const into of i % 2 === 0 ? [plannedRps, productRps] : [productRps, plannedRps]) {
        const r = await closedLoop(get(into === plannedRps ? plannedUrl : productUrl), concurrency, (seconds * 1000) / rounds);
        if (r.errors) throw new Error(`${r.errors} failed requests`);
        into.push(r.rps);
      }
    }
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const paired = pairedRatio(plannedRps, productRps);
    return {
      planned_page_rps: Math.round(avg(plannedRps)),
      product_page_rps: Math.round(avg(productRps)),
      page_ratio: Number(paired.median.toFixed(3)),
      page_ratio_low: Number(paired.low.toFixed(3)),
      page_ratio_high: Number(paired.high.toFixed(3)),
      page_ratio_of_means: Number((avg(plannedRps) / avg(productRps)).toFixed(3)),
      rounds,
      contributions,
      concurrency,
    };
  } finally {
    await agent.close();
    await net.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await pageRatio();
  report(
    'Planned page (tie-up page on a partner) vs the shop product page on the same partner',
    [
      [`planned page, ${r.contributions} contributions`, `${fmt(r.planned_page_rps)} pages/s`],
      ['shop product page', `${fmt(r.product_page_rps)} pages/s`],
      [
        'page_ratio',
        `${fmt(r.page_ratio, 2)}   target >= 0.9  (median of ${r.rounds} paired rounds, rounds ${fmt(r.page_ratio_low, 2)}-${fmt(r.page_ratio_high, 2)}; ratio of means ${fmt(r.page_ratio_of_means, 2)})`,
      ],
    ],
    { ...r },
  );
}
