import { decodeEntry } from '../logchain/entry.js';
import { BUILT_IN_ITEM_TYPES, type ItemKeyOf } from './items.js';

/**
 * Deliveries per item counted from an audit bundle's entries alone, by the
 * same rules the main site counts with (items.ts): entries below `size` only
 * (the checkpoint the main site's count of that site rests on). Pure, so
 * `tieup counts recompute` checks the main site's counts offline.
 */
export function countsFromBundle(bundle: Buffer | string, size: number, types: ReadonlyArray<[string, ItemKeyOf]> = BUILT_IN_ITEM_TYPES): Map<string, number> {
  const text = typeof bundle === 'string' ? bundle : bundle.toString('utf8');
  const byType = new Map(types);
  const out = new Map<string, number>();
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length : nl + 1;
    if (!line.startsWith('{"v":1')) continue;
    const e = decodeEntry(line);
    if (!e || e.index >= size) continue;
    const itemOf = byType.get(e.type);
    const key = itemOf ? itemOf(e) : null;
    if (key !== null) out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
