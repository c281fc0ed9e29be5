import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../common/web/csv.js';
import { z } from 'zod';
import type { MainSync } from './main-sync.js';
import type { PushOutcome } from './pusher.js';
import type { Delivery, DeliveryFilter } from './sync-store.js';
import { syncErrors } from './errors.js';

/** A delivery's state: its outcome, or "running" while it has none. Every outcome a push can end in. */
export const DELIVERY_STATES = ['running', 'active', 'pending', 'noop', 'frozen', 'skipped', 'failed', 'superseded'] as const satisfies readonly (PushOutcome['outcome'] | 'running')[];

/** Query values as a form sends them: an empty field means "any". */
const anyWhenEmpty = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());
const filterShape = {
  partner: anyWhenEmpty(z.string({ error: 'must be one partner id' }).regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a partner id (lowercase letters, digits and "-")')),
  state: anyWhenEmpty(z.enum(DELIVERY_STATES, { error: `must be one of ${DELIVERY_STATES.join(', ')}` })),
  release: anyWhenEmpty(z.string({ error: 'must be one release number' }).regex(/^[1-9][0-9]{0,8}$/, 'must be a release number')),
};
const strictFilter = z.strictObject({ ...filterShape, limit: anyWhenEmpty(z.string({ error: 'must be one number' }).regex(/^[1-9][0-9]{0,3}$/, 'must be a number from 1 to 9999')) });

const FILTER_KEYS = ['partner', 'state', 'release'] as const;
/**
 * On the sync page the filter's keys carry this prefix: the page's banners use
 * "partner" and "release" for their own parameters (/admin/sync?done=published&release=3).
 */
export const PAGE_PREFIX = 'delivery_';

export interface ParsedFilter {
  filter: DeliveryFilter;
  /** The filter as query values, to keep in links (fragment, CSV). */
  query: { partner: string; state: string; release: string };
}

/**
 * Reads the delivery log's filters from a query. `strict` (CSV, fragment, API)
 * refuses keys it does not know; the page reads only its own prefixed keys. A bad value
 * is a 400 invalid_request naming the field, and nothing is listed.
 */
export function parseDeliveryFilter(m: MainSync, q: Record<string, unknown>, o: { strict: boolean; limit: number; maxLimit: number }): ParsedFilter {
  const input = o.strict ? q : Object.fromEntries(FILTER_KEYS.filter((k) => PAGE_PREFIX + k in q).map((k) => [k, q[PAGE_PREFIX + k]]));
  const r = strictFilter.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown filter ${i.keys.join(', ')} (filters: partner, state, release)` : `${i.path.join('.') || 'query'}: ${i.message}`,
    );
    throw syncErrors.invalid_request(`the delivery filter was refused: ${problems.join('; ')}`, { problems });
  }
  const f = r.data;
  if (f.partner) {
    const p = m.ctx.peers.get(f.partner);
    // A removed partner's attempts stay in the log and can still be listed.
    if ((!p || p.role !== 'partner') && !m.sync.deliveryChoices().partners.includes(f.partner))
      throw syncErrors.invalid_request(`the delivery filter was refused: partner: no partner "${f.partner}"`, { problems: [`partner: no partner "${f.partner}"`] });
  }
  const limit = f.limit ? Math.min(o.maxLimit, Number(f.limit)) : o.limit;
  return {
    filter: { partner: f.partner || undefined, state: f.state || undefined, release: f.release ? Number(f.release) : undefined, limit },
    query: { partner: f.partner ?? '', state: f.state ?? '', release: f.release ?? '' },
  };
}

/** A query string of the non-empty filter values ("" when none). */
export function filterQuery(q: ParsedFilter['query']): string {
  const s = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== '')).toString();
  return s ? `?${s}` : '';
}

/** A text field a spreadsheet would run as a formula gets a leading apostrophe: details quote partners' answers. */

/** The delivery log as CSV (RFC 4180 by csv-stringify), one row per push attempt, newest first. */
export function deliveriesCsv(rows: readonly Delivery[]): string {
  return stringify(
    [
      ['id', 'partner', 'release', 'trigger', 'attempt', 'state', 'started_at', 'finished_at', 'blobs_sent', 'bytes', 'freeze_overridden', 'detail'],
      ...rows.map((d) => [
        d.id,
        d.partnerId,
        d.release ?? '',
        d.trigger,
        d.attempt,
        d.outcome ?? 'running',
        d.startedAt,
        d.finishedAt ?? '',
        d.blobsSent,
        d.bytesSent,
        d.freezeOverridden ? 'yes' : 'no',
        d.detail ?? '',
      ]),
    ],
    { record_delimiter: 'windows', cast: { string: spreadsheetSafe } },
  );
}
