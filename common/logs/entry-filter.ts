import { z } from 'zod';
import { PAGE_KINDS } from '../logchain/entry-types.js';
import type { EntryFilter } from '../store/log-store.js';
import { logBrowserErrors } from './errors.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

/**
 * A time as an operator types it, always UTC: a day (2026-11-01), or a day and
 * time to the minute, second or millisecond, with or without the final Z.
 * Offsets are refused rather than converted, so what is typed is what is compared.
 */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?)?$/;

export function parseUtc(text: string): string | null {
  const m = ISO_UTC.exec(text);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = m.slice(1);
  const t = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))));
  // Date.UTC rolls 2026-02-31 over into March: a date that does not exist is refused, not moved.
  if (
    Number.isNaN(t.getTime()) ||
    t.getUTCFullYear() !== Number(y) ||
    t.getUTCMonth() !== Number(mo) - 1 ||
    t.getUTCDate() !== Number(d) ||
    t.getUTCHours() !== Number(h) ||
    t.getUTCMinutes() !== Number(mi) ||
    t.getUTCSeconds() !== Number(s)
  )
    return null;
  return t.toISOString();
}

// A blank form field is "no filter", so every field takes '' as absent.
const blank = <T extends z.ZodType>(t: T) => z.union([z.literal('').transform(() => undefined), t]).optional();
const int = (what: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `${what} is a whole number`)
    .transform(Number);
const query = z.strictObject({
  site: blank(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'site is a site id')),
  type: blank(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'type is an entry type such as page or order')),
  kind: blank(z.enum(PAGE_KINDS, { message: `kind is one of ${PAGE_KINDS.join(', ')}` })),
  path: blank(
    z
      .string()
      .max(512, 'path is at most 512 characters')
      .startsWith('/', 'path is a path prefix starting with /')
      // Control characters never reach a logged path (URLs cannot carry them raw); refusing them keeps a typo visible.
      .refine((v) => ![...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'path holds a control character'),
  ),
  status: blank(z.string().regex(/^[1-5](\d\d|xx)$/, 'status is an HTTP status (404) or a class (4xx)')),
  from: blank(z.string().max(40)),
  to: blank(z.string().max(40)),
  user: blank(z.string().min(1).max(200, 'user is at most 200 characters')),
  before: blank(int('before')),
  after: blank(int('after')),
  limit: blank(int('limit').refine((n) => n >= 1 && n <= MAX_PAGE, `limit is between 1 and ${MAX_PAGE}`)),
});

export interface BrowseQuery {
  site: string | undefined;
  filter: EntryFilter;
  before: number | undefined;
  after: number | undefined;
  limit: number;
  /** The filter as query parameters (no cursor), for links, the form and the CSV export. */
  params: Record<string, string>;
}

/** Parses the browser's query string; anything it cannot use is `400 bad_filter` naming the field, and nothing is read. */
export function parseBrowseQuery(raw: unknown): BrowseQuery {
  const r = query.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = i.path.join('.');
    const message =
      i.code === 'unrecognized_keys'
        ? `unknown filter ${i.keys.map((k) => JSON.stringify(k)).join(', ')}; filters are ${Object.keys(query.shape).join(', ')}`
        : field && i.message.startsWith(`${field} `)
          ? i.message
          : `${field || 'query'}: ${i.message}`;
    throw logBrowserErrors.bad_filter(message, { field: field || (i.code === 'unrecognized_keys' ? i.keys[0] : 'query') });
  }
  const q = r.data;
  const filter: EntryFilter = {};
  if (q.type) filter.type = q.type;
  if (q.kind) filter.kind = q.kind;
  if (q.path) filter.pathPrefix = q.path;
  if (q.status) {
    const n = Number(q.status.replace('xx', '00'));
    filter.status = q.status.endsWith('xx') ? { min: n, max: n + 99 } : { min: n, max: n };
  }
  for (const k of ['from', 'to'] as const) {
    const v = q[k];
    if (v === undefined) continue;
    const t = parseUtc(v);
    if (!t) throw logBrowserErrors.bad_filter(`${k}: ${JSON.stringify(v)} is not a UTC time (2026-11-01, 2026-11-01T09:30, 2026-11-01T09:30:00.000Z)`, { field: k });
    filter[k] = t;
  }
  if (filter.from && filter.to && filter.from >= filter.to) throw logBrowserErrors.bad_filter('from: the range is empty (from must be before to)', { field: 'from' });
  if (q.user) filter.user = q.user;
  if (q.before !== undefined && q.after !== undefined) throw logBrowserErrors.bad_filter('before: give before or after, not both', { field: 'before' });
  const params: Record<string, string> = {};
  for (const k of ['site', 'type', 'kind', 'path', 'status', 'from', 'to', 'user'] as const) {
    const v = q[k];
    if (v) params[k] = k === 'from' || k === 'to' ? filter[k]! : v;
  }
  if (q.limit !== undefined) params.limit = String(q.limit);
  return { site: q.site, filter, before: q.before, after: q.after, limit: q.limit ?? DEFAULT_PAGE, params };
}
