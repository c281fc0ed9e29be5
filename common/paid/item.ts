import { z } from 'zod';
import { MINOR_UNITS } from '../money.js';
import type { Manifest, ManifestEntry } from '../release/manifest.js';

/**
 * A paid item, defined in the main site's content folder as
 * `paid/<id>/item.json`, with its free entry page `paid/<id>/entry.md` and its
 * paid pages and assets under `paid/<id>/pages/`. Everything is published in
 * releases; partners receive only item.json and entry.md (filterForPartnership),
 * so the paid pages never leave the main site.
 *
 * Which partners may sell the item, and from when, lives here rather than in
 * the partner's contract: an early or exclusive release is a decision about the
 * item (seed 【0005】【0168】), made by whoever publishes it, and it travels
 * with the release it applies to.
 */
export const ITEM_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const itemId = z.string().regex(ITEM_ID_RE, 'an item id is 1-64 lowercase letters, digits or "-"');

const price = z.strictObject({
  amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
});

export const PERIODS = ['week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];
export const ADDRESS_POLICIES = ['exact', 'prefix', 'none'] as const;

export const itemDefinition = z.strictObject({
  id: itemId,
  title: z.string().min(1).max(200),
  /** The supplier's party id at the main site's portal. */
  supplier: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a supplier id is 1-64 lowercase letters, digits or "-"'),
  category: z.string().min(1).max(64),
  /** Shoppers younger than this are refused a key (their birth date is read from their account). */
  minimumAge: z.int().min(1).max(120).optional(),
  charge: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('per_access'), price }), z.strictObject({ type: z.literal('per_period'), period: z.enum(PERIODS), price })]),
  /** How a key is bound to the address that first used it: exact, the same /24 (IPv4) or /56 (IPv6), or not at all. */
  addressPolicy: z.enum(ADDRESS_POLICIES).default('prefix'),
  /** "all", or the partners that may sell it, each from an optional start time. */
  partners: z.union([z.literal('all'), z.array(z.strictObject({ id: z.string().min(1).max(64), from: z.iso.datetime().optional() })).max(1000)]).default('all'),
});
export type PaidItem = z.output<typeof itemDefinition>;

export interface ReleasedItem {
  item: PaidItem;
  /** The free entry page's source (markdown), when the release has one. */
  entry: string | null;
  /** Paid pages and assets by their path below pages/ ("index.md", "ch2.md", "img/map.svg"). */
  pages: Map<string, ManifestEntry>;
}

const PAID_RE = /^paid\/([^/]+)\/(.+)$/;

/** The paid items of a release, with what is wrong with those that cannot be read (they are left out). */
export function itemsOfRelease(manifest: Manifest, read: (sha256: string) => Buffer | null): { items: Map<string, ReleasedItem>; problems: string[] } {
  const byId = new Map<string, { def?: ManifestEntry; entry?: ManifestEntry; pages: Map<string, ManifestEntry> }>();
  for (const e of manifest) {
    const m = PAID_RE.exec(e.path);
    if (!m) continue;
    const [, id, rest] = m as unknown as [string, string, string];
    let g = byId.get(id);
    if (!g) byId.set(id, (g = { pages: new Map() }));
    if (rest === 'item.json') g.def = e;
    else if (rest === 'entry.md') g.entry = e;
    else if (rest.startsWith('pages/')) g.pages.set(rest.slice('pages/'.length), e);
  }
  const items = new Map<string, ReleasedItem>();
  const problems: string[] = [];
  for (const [id, g] of byId) {
    if (!g.def) {
      problems.push(`paid/${id}: no item.json`);
      continue;
    }
    const def = read(g.def.sha256);
    if (!def) {
      problems.push(`paid/${id}/item.json: the stored file is damaged`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(def.toString('utf8'));
    } catch (err) {
      problems.push(`paid/${id}/item.json: not JSON (${(err as Error).message})`);
      continue;
    }
    const r = itemDefinition.safeParse(raw);
    if (!r.success) {
      problems.push(`paid/${id}/item.json: ${r.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join('; ')}`);
      continue;
    }
    if (r.data.id !== id) {
      problems.push(`paid/${id}/item.json: id "${r.data.id}" must be the folder's name`);
      continue;
    }
    items.set(id, { item: r.data, entry: g.entry ? (read(g.entry.sha256)?.toString('utf8') ?? null) : null, pages: g.pages });
  }
  return { items, problems };
}

/** Whether a partner may sell the item at `now`: 'yes', 'not_listed', or 'not_yet' (listed with a later start). */
export function saleStatus(item: PaidItem, partner: string, now: Date): 'yes' | 'not_listed' | 'not_yet' {
  if (item.partners === 'all') return 'yes';
  const p = item.partners.find((x) => x.id === partner);
  if (!p) return 'not_listed';
  if (p.from && Date.parse(p.from) > now.getTime()) return 'not_yet';
  return 'yes';
}

/** The end of a period that starts at `start` (UTC calendar: a month from the 31st ends on the last day of the next month). */
export function periodEnd(start: Date, period: Period): Date {
  if (period === 'week') return new Date(start.getTime() + 7 * 86400_000);
  const months = period === 'month' ? 1 : 3;
  const d = new Date(start.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Age in whole years on `now` for a birth date YYYY-MM-DD (UTC). */
export function ageOn(birthDate: string, now: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age--;
  return age;
}
