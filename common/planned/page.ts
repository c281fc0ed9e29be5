import { z } from 'zod';
import { MINOR_UNITS } from '../money.js';

/**
 * A planned page as its planner builds it with the assistant (seed claim 2):
 * a layout inside the main brand's frame, a title, a description, sections
 * contributors fill, the prices the planner sets (claim 9) and the formats a
 * buyer may take what was bought in (claim 7).
 */
export const PAGE_ID_RE = /^pp-[0-9a-f]{12}$/;
export const pageId = z.string().regex(PAGE_ID_RE, 'a planned page id is "pp-" and 12 hex digits');
export const CONTRIBUTION_ID_RE = /^pc-[0-9a-f]{12}$/;
export const contributionId = z.string().regex(CONTRIBUTION_ID_RE, 'a contribution id is "pc-" and 12 hex digits');

/** Page layouts, each drawn inside the main brand's layout template (templates/layout.ejs) and its style sheet. */
export const LAYOUTS = ['article', 'cards', 'compact'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const LAYOUT_LABELS: Record<Layout, string> = {
  article: 'Article: sections one below the other, contributions as paragraphs with their teaser',
  cards: 'Cards: each contribution as a card in a grid under its section',
  compact: 'Compact: a table of contents of every contribution, title and price',
};

export const FORMATS = ['html', 'pdf', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
export const FORMAT_LABELS: Record<Format, string> = { html: 'Read in the account (HTML)', pdf: 'PDF download', markdown: 'Markdown download' };

const text = (max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\r\n/g, '\n').trim())
    .pipe(z.string().max(max));
const line = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(min, `at least ${min} character(s)`).max(max, `at most ${max} characters`));
const amount = z.int().min(1, 'a price is at least 1 minor unit').max(100_000_000, 'a price is at most 1,000,000.00');

export const sectionSpec = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a section id is 1-32 lowercase letters, digits or "-"'),
  heading: line(1, 120),
  intro: text(2000),
});

export const pageSpec = z
  .strictObject({
    layout: z.enum(LAYOUTS),
    title: line(1, 120),
    description: text(4000).pipe(z.string().min(1, 'a description is required')),
    sections: z.array(sectionSpec).min(1, 'a page has at least one section').max(12, 'a page has at most 12 sections'),
    currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
    /** Price of one contribution, or null: contributions are not sold one by one. */
    contributionPrice: amount.nullable(),
    /** Price of the whole page (every accepted contribution at the time of purchase), or null. */
    pagePrice: amount.nullable(),
    formats: z.array(z.enum(FORMATS)).min(1, 'choose at least one format').max(FORMATS.length),
  })
  .superRefine((p, ctx) => {
    if (p.contributionPrice === null && p.pagePrice === null) ctx.addIssue({ code: 'custom', path: ['pagePrice'], message: 'set a price per contribution, for the whole page, or both' });
    const ids = new Set<string>();
    for (const s of p.sections) {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sections'], message: `section id ${s.id} appears twice` });
      ids.add(s.id);
    }
    if (new Set(p.formats).size !== p.formats.length) ctx.addIssue({ code: 'custom', path: ['formats'], message: 'a format appears twice' });
  });
export type PageSpec = z.output<typeof pageSpec>;

/** What can be bought on a page: one contribution, or the whole page. */
export type SaleItem = { kind: 'page' } | { kind: 'contribution'; id: string };

/**
 * The public sale data of an open page, published beside it in the release
 * (`assets/planned/<page>.json`), so a partner shows the bill before forwarding
 * an order: seller, items and prices exactly as the planner set them.
 */
export const saleData = z.strictObject({
  page: pageId,
  title: z.string().max(200),
  planner: z.strictObject({ id: z.string().max(64), name: z.string().max(200), slug: z.string().max(64) }),
  currency: z.string().regex(/^[A-Z]{3}$/),
  pagePrice: z.int().nullable(),
  contributionPrice: z.int().nullable(),
  formats: z.array(z.enum(FORMATS)),
  /** "all" or the partners that may sell the page (the planner's contract). */
  partners: z.union([z.literal('all'), z.array(z.string().max(64)).max(1000)]),
  contributions: z.array(z.strictObject({ id: contributionId, title: z.string().max(200), contributor: z.string().max(200) })).max(10_000),
  release: z.string().max(40),
});
export type SaleData = z.output<typeof saleData>;

/** Where an open page and its sale data live in the content folder (and so in releases). */
export const pageFile = (id: string): string => `pages/planned/${id}.html`;
export const saleFile = (id: string): string => `assets/planned/${id}.json`;
export const pageUrl = (id: string): string => `/planned/${id}`;
export const buyUrl = (page: string, item: SaleItem): string => `/planned-buy/${page}/${item.kind === 'page' ? 'page' : item.id}`;

/**
 * Contributions in the page's own order: section by section as the planner
 * laid the page out, and within a section in the order they were sent (the
 * store's order, which this sort keeps: Array.prototype.sort is stable). A
 * contribution to a section no longer on the page comes last.
 */
export function inPageOrder<T extends { section: string }>(sections: readonly { id: string }[], items: readonly T[]): T[] {
  const at = new Map(sections.map((s, i) => [s.id, i]));
  const pos = (x: T) => at.get(x.section) ?? sections.length;
  return [...items].sort((a, b) => pos(a) - pos(b));
}
