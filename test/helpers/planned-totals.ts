import { logPageHit } from '../../common/logchain/page-log.js';
import type { RunningMain } from '../../main-site/server.js';
import { usersModule } from '../../main-site/users/index.js';
import { TERMS_40_30 as TERMS } from './shares-terms.js';
import { rng } from './rng.js';

export interface PlannedSeed {
  planner: string;
  pages: string[];
  /** Orders placed (real sales in the log): id, page, what it delivers. */
  orders: { id: string; pageId: string; itemKind: 'page' | 'contribution'; contributionId: string | null; delivers: string[]; amount: number; currency: string; userId: string }[];
}

/**
 * A planner with `pages` open pages, each with `contributors` accepted text
 * contributions (one per contributor), and `orders` real orders (pages and
 * single contributions, placed at the main site), some refunded:
 * the sales and refunds the shares module logs.
 */
export async function seedPlanned(main: RunningMain, o: { pages: number; contributors: number; orders: number; refundEvery?: number; slug?: string }): Promise<PlannedSeed> {
  const planned = main.planned;
  const slug = o.slug ?? 'totals';
  planned.apply({ email: `${slug}@example.test`, displayName: `Planner ${slug}`, slug, pitch: 'Use totals.' });
  const app = planned.applications('pending').find((a) => a.slug === slug)!;
  const planner = planned.approve(app.id, { terms: TERMS, carriedBy: 'all' }, 'seed').planner.partyId;
  const contributors = Array.from({ length: o.contributors }, (_, i) => planned.registerContributor({ email: `${slug}-c${i}@example.test`, displayName: `Contributor ${i}` }).party.id);
  const pages: string[] = [];
  for (let p = 0; p < o.pages; p++) {
    const page = planned.createPage(planner, {
      layout: 'article',
      title: `Page ${p}`,
      description: `Page ${p} of the totals seed.`,
      sections: [{ id: 'notes', heading: 'Notes', intro: '' }],
      currency: 'EUR',
      contributionPrice: 150 + p,
      pagePrice: 900 + p,
      formats: ['html', 'pdf', 'markdown'],
    }).id;
    planned.openPage(planner, page);
    for (const c of contributors) {
      planned.acceptTerms(c, page);
      const made = planned.contribute(c, page, { section: 'notes', kind: 'text', title: `Note by ${c} on ${p}`, teaser: 'A note.', body: 'The note itself.' }, null);
      planned.decide(planner, made.id, 'accept', '');
    }
    pages.push(page);
  }
  const user = (await main.use(usersModule).service.register({ email: `${slug}-buyer@example.test`, name: 'Buyer', password: 'buyer password 123' }, 'main')).id;
  const r = rng(7);
  const orders: PlannedSeed['orders'] = [];
  const sites = [main.ctx.config.siteId];
  for (let i = 0; i < o.orders; i++) {
    const pageId = pages[Math.floor(r() * pages.length)]!;
    const page = planned.page(pageId)!;
    const accepted = planned.contributionsOfPage(planner, pageId).filter((c) => c.state === 'accepted');
    const whole = r() < 0.4;
    const item = whole ? ({ kind: 'page' } as const) : ({ kind: 'contribution', id: accepted[Math.floor(r() * accepted.length)]!.id } as const);
    const amount = whole ? page.spec.pagePrice! : page.spec.contributionPrice!;
    const receipt = planned.placeOrder(sites[i % sites.length]!, {
      idempotencyKey: `seed-${slug}-${String(i).padStart(8, '0')}`,
      user,
      planner,
      page: pageId,
      items: [item],
      price: { amount, currency: 'EUR' },
    });
    const stored = planned.store.order(receipt.id)!;
    orders.push({ id: stored.id, pageId, itemKind: stored.itemKind, contributionId: stored.contributionId, delivers: stored.delivers, amount: stored.amount, currency: stored.currency, userId: user });
    if (o.refundEvery && i % o.refundEvery === o.refundEvery - 1) planned.refund(stored.id, { reason: 'seeded refund' }, 'seed');
  }
  return { planner, pages, orders };
}

/**
 * Appends `n` entries to the main site's log: accesses to bought content
 * (HTML views, PDF and Markdown downloads, file downloads of one delivered
 * contribution) spread over `months` (YYYY-MM), between page views that the
 * totals skip. Returns how many were planned accesses.
 */
export function appendUses(main: RunningMain, seed: PlannedSeed, n: number, months: string[], random = rng(11)): number {
  const { log, config } = main.ctx;
  let accesses = 0;
  for (let i = 0; i < n; i++) {
    if (random() < 0.3) {
      logPageHit(log, { path: '/about', kind: 'tie-up', release: null, status: 200, bytes: 100, client: '127.0.0.1', ua: 'bench' });
      continue;
    }
    const o = seed.orders[Math.floor(random() * seed.orders.length)]!;
    const month = months[Math.floor(random() * months.length)]!;
    const time = `${month}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T${String(Math.floor(random() * 24)).padStart(2, '0')}:00:00.000Z`;
    const f = random();
    const format = f < 0.5 ? 'html' : f < 0.7 ? 'pdf' : f < 0.85 ? 'markdown' : 'file';
    const item = o.itemKind === 'page' ? 'page' : o.contributionId!;
    const path = `/planned/${o.pageId}/${item}/${format}${format === 'file' ? `/${o.delivers[Math.floor(random() * o.delivers.length)]!}` : ''}`;
    log.append({
      time,
      site: config.siteId,
      type: 'planned_access',
      path,
      kind: 'none',
      release: null,
      status: 200,
      bytes: 1000,
      user: o.userId,
      session: 'main',
      client: null,
      ua: 'other',
      order: { id: o.id, amount: o.amount, currency: o.currency },
    });
    accesses++;
  }
  return accesses;
}
