import { decodeEntry } from '../logchain/entry.js';
import { periodBounds, type ContentUsage, type Usage } from './engine.js';
import { adDeliveryOf, isOwnDelivery } from '../ads/index.js';

/**
 * Paths the shop answers itself on every site (cart, checkout, an order's
 * page): never content. Entries written before page entries had kind "shop"
 * carry kind original there; this is how they are told apart. Nothing else can
 * answer these paths (the shop's routes come before the page router).
 */
export function isShopPath(path: string): boolean {
  return path === '/cart' || path === '/checkout' || (path.startsWith('/orders/') && path.length > 8 && !path.includes('/', 8));
}

/** What a page entry counts as: a page view (the only page access fees count), a shop action, an error, an asset, or other (redirects, the 404 page). */
export type PageClass = 'view' | 'shop' | 'error' | 'asset' | 'other';

export function classifyPage(e: { kind: string; status: number; path: string }): PageClass {
  if (e.status >= 400) return 'error';
  if (e.kind === 'asset') return 'asset';
  const content = e.kind === 'tie-up' || e.kind === 'original';
  if (e.kind === 'shop' || (content && isShopPath(e.path))) return 'shop';
  // 304: the shopper's browser showed the page it had, revalidated: a view like a 200.
  if (content && ((e.status >= 200 && e.status < 300) || e.status === 304)) return 'view';
  return 'other';
}

/**
 * Usage for a period counted from a verified bundle's entries alone, by the
 * same rules the main site applies in SQL (main-site/logs/witness-store.ts;
 * docs/fees.md): page accesses are successful views of tie-up and original
 * pages (2xx or 304, never shop pages); shop actions, errors, assets and other
 * answers are counted under their own kinds; and, for contracts that say
 * "all-answers", every answer below 400 of a page (shop pages as original).
 * Distinct non-null users; order, cancel and refund entries; only entries
 * below the largest signed checkpoint. Content sizes count the distinct pages
 * served (status 200) per kind and the largest response of each.
 */
export function usageFromBundle(bundle: Buffer | string, period: string, timeZone: string, signedSize: number): Usage {
  const text = typeof bundle === 'string' ? bundle : bundle.toString('utf8');
  const { start, end } = periodBounds(period, timeZone);
  const from = start.toISOString();
  const to = end.toISOString();
  const users = new Set<string>();
  const pages = { 'tie-up': new Map<string, number>(), original: new Map<string, number>() };
  const answeredPages = { 'tie-up': new Map<string, number>(), original: new Map<string, number>() };
  const answers = { tieUp: 0, original: 0 };
  const other = { shopActions: 0, errors: 0, assets: 0, other: 0 };
  const u: Usage = {
    period,
    pageAccesses: { tieUp: 0, original: 0 },
    uniqueUsers: 0,
    content: { tieUpPages: 0, originalPages: 0, tieUpBytes: 0, originalBytes: 0 },
    orders: [],
    reversals: [],
    checkpoint: null,
  };
  const keep = (m: Map<string, number>, path: string, bytes: number) => m.set(path, Math.max(m.get(path) ?? 0, bytes));
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length : nl + 1;
    if (!line.startsWith('{"v":1')) continue;
    const e = decodeEntry(line);
    if (!e || e.index >= signedSize || e.time < from || e.time >= to) continue;
    if (e.type === 'page') {
      const c = classifyPage(e);
      if (c === 'view') {
        if (e.kind === 'tie-up') u.pageAccesses.tieUp++;
        else u.pageAccesses.original++;
        if (e.status === 200) keep(pages[e.kind as 'tie-up' | 'original'], e.path, e.bytes);
      } else if (c === 'shop') other.shopActions++;
      else if (c === 'error') other.errors++;
      else if (c === 'asset') other.assets++;
      else other.other++;
      // "all-answers", as every statement counted before page views: shop pages were original pages then.
      if (e.status < 400 && (e.kind === 'tie-up' || e.kind === 'original' || e.kind === 'shop')) {
        const k = e.kind === 'tie-up' ? 'tie-up' : 'original';
        if (k === 'tie-up') answers.tieUp++;
        else answers.original++;
        if (e.status === 200) keep(answeredPages[k], e.path, e.bytes);
        if (e.user !== null) users.add(e.user);
      }
    } else if (e.type === 'ad') {
      // The same rule as the main site's count: the lease named in the path says whose ad it was.
      const d = adDeliveryOf(e.path);
      if (d) {
        u.ads ??= { mainAds: 0, ownAds: 0 };
        if (isOwnDelivery(d)) u.ads.ownAds++;
        else u.ads.mainAds++;
      }
    } else if (e.order) {
      if (e.type === 'order') u.orders.push({ id: e.order.id, amount: e.order.amount, currency: e.order.currency });
      // As the main site's SQL: only these three types count, whatever else a log may carry.
      else if (e.type === 'cancel' || e.type === 'refund') u.reversals.push({ orderId: e.order.id, orderAmount: e.order.amount, currency: e.order.currency, kind: e.type });
    }
  }
  u.uniqueUsers = users.size;
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const content = (p: typeof pages): ContentUsage => ({ tieUpPages: p['tie-up'].size, originalPages: p.original.size, tieUpBytes: sum(p['tie-up']), originalBytes: sum(p.original) });
  u.content = content(pages);
  u.answers = { pageAccesses: answers, content: content(answeredPages) };
  u.otherAccesses = other;
  return u;
}
