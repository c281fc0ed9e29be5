import { decodeEntry } from '../logchain/entry.js';
import { periodBounds, type Usage } from './engine.js';

/**
 * Usage for a period counted from a verified bundle's entries alone, by the
 * same rules the main site applies in SQL: page entries of kind tie-up or
 * original with a status below 400, distinct non-null users, and order, cancel
 * and refund entries; only entries below the largest signed checkpoint.
 * Content sizes count the distinct pages served (status 200) per kind and the
 * largest response of each, as the main site does.
 */
export function usageFromBundle(bundle: Buffer | string, period: string, timeZone: string, signedSize: number): Usage {
  const text = typeof bundle === 'string' ? bundle : bundle.toString('utf8');
  const { start, end } = periodBounds(period, timeZone);
  const from = start.toISOString();
  const to = end.toISOString();
  const users = new Set<string>();
  const pages = { 'tie-up': new Map<string, number>(), original: new Map<string, number>() };
  const u: Usage = {
    period,
    pageAccesses: { tieUp: 0, original: 0 },
    uniqueUsers: 0,
    content: { tieUpPages: 0, originalPages: 0, tieUpBytes: 0, originalBytes: 0 },
    orders: [],
    reversals: [],
    checkpoint: null,
  };
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length : nl + 1;
    if (!line.startsWith('{"v":1')) continue;
    const e = decodeEntry(line);
    if (!e || e.index >= signedSize || e.time < from || e.time >= to) continue;
    if (e.type === 'page') {
      if (e.status >= 400) continue;
      if (e.kind === 'tie-up') u.pageAccesses.tieUp++;
      else if (e.kind === 'original') u.pageAccesses.original++;
      else continue;
      if (e.user !== null) users.add(e.user);
      if (e.status === 200) {
        const m = pages[e.kind];
        m.set(e.path, Math.max(m.get(e.path) ?? 0, e.bytes));
      }
    } else if (e.order) {
      if (e.type === 'order') u.orders.push({ id: e.order.id, amount: e.order.amount, currency: e.order.currency });
      // As the main site's SQL: only these three types count, whatever else a log may carry.
      else if (e.type === 'cancel' || e.type === 'refund') u.reversals.push({ orderId: e.order.id, orderAmount: e.order.amount, currency: e.order.currency, kind: e.type });
    }
  }
  u.uniqueUsers = users.size;
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  u.content = { tieUpPages: pages['tie-up'].size, originalPages: pages.original.size, tieUpBytes: sum(pages['tie-up']), originalBytes: sum(pages.original) };
  return u;
}
