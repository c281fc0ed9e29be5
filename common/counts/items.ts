import type { EntryFields } from '../logchain/entry.js';

/**
 * Counted items: every delivery of an item on any site is one access-log
 * entry, and the item it delivered is a key `<kind>:<id>` read from that
 * entry. The built-in kinds:
 *   page:<path>     a tie-up page answered (2xx or 304) by the main site or a partner
 *   product:<id>    a tie-up product page (/shop/product/<id>), likewise
 *   paid:<item>     an access key issued for a paid item (`key_issued`, main site)
 * Other capabilities add kinds by registering an entry type with the counts
 * service (`counts.countEntryType('ad', (e) => ...)`).
 */
export const ITEM_KEY_RE = /^[a-z][a-z0-9_]{0,31}:[\x21-\x7e]{1,400}$/;

export type ItemKeyOf = (entry: EntryFields) => string | null;

const PRODUCT_PREFIX = '/shop/product/';
const PAID_PREFIX = '/paid/';

/** A page entry: a delivered tie-up page or product page, else nothing (assets, misses, original pages, errors). */
export function pageItem(e: EntryFields): string | null {
  if (e.kind !== 'tie-up' || !((e.status >= 200 && e.status < 300) || e.status === 304)) return null;
  if (e.path.startsWith(PRODUCT_PREFIX)) {
    const id = e.path.slice(PRODUCT_PREFIX.length);
    return id && !id.includes('/') ? `product:${id}` : null;
  }
  if (e.path.startsWith('/shop') || e.path.startsWith('/cart') || e.path.startsWith('/checkout') || e.path.startsWith('/orders/')) return null;
  return `page:${e.path}`;
}

/** A key issued for a paid item: its path is /paid/<key id>/<item>. */
export function paidItem(e: EntryFields): string | null {
  if (!e.path.startsWith(PAID_PREFIX)) return null;
  const rest = e.path.slice(PAID_PREFIX.length);
  const slash = rest.indexOf('/');
  const item = slash >= 0 ? rest.slice(slash + 1) : '';
  return item && !item.includes('/') ? `paid:${item}` : null;
}

/** The entry types counted by default, and the item each delivers. */
export const BUILT_IN_ITEM_TYPES: ReadonlyArray<[string, ItemKeyOf]> = [
  ['page', pageItem],
  ['key_issued', paidItem],
];
