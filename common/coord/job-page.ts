import { escapeHtml, type MarkdownAddition } from '../render/page-renderer.js';
import { componentList, type Component, type ComponentList } from './types.js';
import { formatAmount, tidy, unitKind } from './units.js';

/**
 * Job-method pages (seed 002, claims 1, 7, 23): a recipe or a how-to whose
 * Markdown front matter carries its component list, one component a line:
 *
 *     ---
 *     title: Pancakes
 *     job: recipe            (or "howto")
 *     servings: 4
 *     components:
 *       - 250 g flour | density 0.53 g/ml
 *       - 2 each eggs
 *       - 500 ml milk | or oat drink
 *       - 1 each lemon | optional
 *       - 4 x M6 screws | note stainless
 *     ---
 *
 * A line is "- <quantity> <unit> <name>" and any of "| optional",
 * "| or <alternative>, <alternative>", "| density <mass/volume>", "| note
 * <text>". The quantity is a decimal ("1.5", "1,5") or a fraction ("1/2",
 * "1 1/2"). The unit is always written ("2 each eggs", "2 x eggs"); only a
 * line of two words ("2 eggs") is read as a count. The page's other front
 * matter stays as the ground floor reads it: these lines are not "key: value"
 * lines, so they are invisible to it.
 */

export const JOB_KINDS = ['recipe', 'howto'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobMethod {
  kind: JobKind;
  title: string;
  list: ComponentList;
}

export type JobParse = { ok: true; job: JobMethod } | { ok: false; error: string };

const FRONT_RE = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;
const QTY_RE = /^(\d+\s+\d+\/\d+|\d+\/\d+|\d+(?:[.,]\d+)?)\s+(.+)$/;

function readQuantity(s: string): number {
  const mixed = /^(\d+)\s+(\d+)\/(\d+)$/.exec(s);
  if (mixed) return Number(mixed[1]) + Number(mixed[2]) / Number(mixed[3]);
  const frac = /^(\d+)\/(\d+)$/.exec(s);
  if (frac) return Number(frac[1]) / Number(frac[2]);
  return Number(s.replace(',', '.'));
}

/** One "- 250 g flour | optional" line as a component (unchecked: the list's schema checks it). */
function readLine(line: string, n: number): Record<string, unknown> {
  const [head = '', ...mods] = line.split('|').map((s) => s.trim());
  const m = QTY_RE.exec(head);
  if (!m) throw new RangeError(`component ${n}: "${head}" is not "<quantity> <unit> <name>"`);
  const quantity = readQuantity(m[1] ?? '');
  const words = (m[2] ?? '').split(/\s+/);
  let unit: string;
  let name: string;
  if (words.length === 1) {
    unit = 'each';
    name = words[0] ?? '';
  } else {
    unit = words[0] ?? '';
    name = words.slice(1).join(' ');
  }
  const c: Record<string, unknown> = { name, quantity: tidy(quantity), unit };
  for (const mod of mods) {
    const [word = '', ...rest] = mod.split(/\s+/);
    const value = rest.join(' ').trim();
    if (word === 'optional' && value === '') c.optional = true;
    else if (word === 'or' && value !== '')
      c.alternatives = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (word === 'density' && value !== '') c.density = value;
    else if (word === 'note' && value !== '') c.note = value;
    else throw new RangeError(`component ${n} (${name}): "| ${mod}" is not optional, or ..., density ... or note ...`);
  }
  return c;
}

const FENCE_RE = /^```components([^\n]*)\n([\s\S]*?)\n```/m;

/**
 * The job method a Markdown page describes, or null when it has no component
 * list (an ordinary page). The list is read from the front matter's
 * "components:" key; a body with a fenced block
 *
 *     ```components servings=4
 *     300 g flour
 *     ```
 *
 * (the form the coordination network's first pages used) is read the same
 * way, line for line. A list that is there but wrong is an error naming the
 * line, never a silently shorter list.
 */
export function parseJobMethod(source: string, fallbackTitle = 'Job'): JobParse | null {
  const fm = FRONT_RE.exec(source);
  const lines = (fm?.[1] ?? '').split(/\r?\n/);
  const body = fm ? source.slice(fm[0].length) : source;
  const key = (k: string): string | undefined => {
    for (const l of lines) {
      const kv = /^([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*)$/.exec(l.trim());
      if (kv && kv[1] === k) return (kv[2] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
    }
    return undefined;
  };
  const at = fm ? lines.findIndex((l) => /^components\s*:\s*$/.test(l.trim())) : -1;
  const fence = at < 0 ? FENCE_RE.exec(body) : null;
  if (at < 0 && fence === null) return null;
  try {
    const items: Record<string, unknown>[] = [];
    let servings = key('servings');
    if (fence !== null) {
      servings = /servings\s*=\s*(\d+)/.exec(fence[1] ?? '')?.[1] ?? servings;
      for (const l of (fence[2] ?? '').split(/\r?\n/)) {
        const t = l.trim().replace(/^-\s+/, '');
        if (t !== '' && !t.startsWith('#')) items.push(readLine(t, items.length + 1));
      }
    } else {
      for (let i = at + 1; i < lines.length; i++) {
        const l = lines[i] ?? '';
        const item = /^\s*-\s+(.*)$/.exec(l);
        if (!item) {
          if (l.trim() === '') continue;
          break;
        }
        items.push(readLine(item[1] ?? '', items.length + 1));
      }
    }
    const job = (key('job') ?? 'recipe').toLowerCase();
    if (!(JOB_KINDS as readonly string[]).includes(job)) return { ok: false, error: `job: "${job}" is not recipe or howto` };
    const parsed = componentList.safeParse({ ...(servings !== undefined ? { servings: Number(servings) } : {}), components: items });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: `components: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim() };
    }
    const title = key('title') ?? /^#\s+(.+)$/m.exec(body)?.[1]?.trim() ?? fallbackTitle;
    return { ok: true, job: { kind: job as JobKind, title, list: parsed.data } };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The same as `parseJobMethod`, in the shape the coordination network reads a
 * page with: the title and list, null for an ordinary page, a RangeError
 * naming the mistake for a list that does not read.
 */
export function componentsOfSource(source: string): { title: string; list: ComponentList } | null {
  const r = parseJobMethod(source, 'How-to');
  if (r === null) return null;
  if (!r.ok) throw new RangeError(r.error);
  return { title: r.job.title, list: r.job.list };
}

/**
 * UN/CEFACT common codes for the units schema.org readers know best (a
 * QuantitativeValue's unitCode); any other unit is given as unitText only.
 */
const UNIT_CODES: Record<string, string> = {
  g: 'GRM',
  kg: 'KGM',
  mg: 'MGM',
  lb: 'LBR',
  oz: 'ONZ',
  ml: 'MLT',
  l: 'LTR',
  L: 'LTR',
  m: 'MTR',
  cm: 'CMT',
  mm: 'MMT',
  each: 'H87',
  x: 'H87',
  piece: 'H87',
  pieces: 'H87',
  dozen: 'DZN',
  tbsp: 'G24',
  tsp: 'G25',
  cup: 'G21',
};

/** A component as schema.org text ("250 g flour") and as a HowToSupply with a structured QuantitativeValue. */
function supply(c: Component): Record<string, unknown> {
  const code = UNIT_CODES[c.unit];
  return {
    '@type': 'HowToSupply',
    name: c.name,
    requiredQuantity: { '@type': 'QuantitativeValue', value: c.quantity, unitText: c.unit, ...(code !== undefined ? { unitCode: code } : {}) },
    ...(c.optional ? { description: 'optional' } : {}),
  };
}

/**
 * schema.org JSON-LD for the job: a Recipe (recipeIngredient as text, as
 * readers expect) or a HowTo, both with `supply` items whose amounts are
 * structured QuantitativeValues — what recipeIngredient's free text cannot say.
 */
export function jobJsonLd(job: JobMethod, url?: string): Record<string, unknown> {
  const base: Record<string, unknown> = {
    '@context': 'https://schema.org',
    '@type': job.kind === 'recipe' ? 'Recipe' : 'HowTo',
    name: job.title,
    ...(url !== undefined ? { url } : {}),
    supply: job.list.components.map(supply),
  };
  if (job.kind === 'recipe') {
    base.recipeYield = `${job.list.servings} servings`;
    base.recipeIngredient = job.list.components.map((c) => `${formatAmount(c)} ${c.name}`);
  } else {
    base.yield = `${job.list.servings}`;
  }
  return base;
}

/** JSON inside a <script> element: "<" escaped so no "</script>" in a name can end it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface JobBlockOptions {
  /** Where "Get the components" leads (the coordination page); omitted: no link. */
  getHref?: string;
  /** The page's absolute URL for the JSON-LD. */
  url?: string;
}

/** The component list as HTML (after the page body), with its JSON-LD. Everything from the page is escaped. */
export function renderJobBlock(job: JobMethod, options: JobBlockOptions = {}): string {
  const items = job.list.components
    .map((c) => {
      const extra = [
        c.optional ? '<span class="optional">(optional)</span>' : '',
        c.alternatives.length > 0 ? `<span class="alternatives">or ${escapeHtml(c.alternatives.join(', '))}</span>` : '',
        c.note !== undefined ? `<span class="note">${escapeHtml(c.note)}</span>` : '',
      ]
        .filter(Boolean)
        .join(' ');
      const kind = unitKind(c.unit) ?? 'other';
      return `<li data-name="${escapeHtml(c.name)}" data-quantity="${c.quantity}" data-unit="${escapeHtml(c.unit)}" data-kind="${kind}">${escapeHtml(formatAmount(c))} ${escapeHtml(c.name)}${extra ? ` ${extra}` : ''}</li>`;
    })
    .join('');
  const heading = job.kind === 'recipe' ? 'Ingredients' : 'Components';
  const link = options.getHref !== undefined ? `<p><a class="coord-get" href="${escapeHtml(options.getHref)}">Get the components</a></p>` : '';
  return (
    `<section class="job-components" aria-labelledby="job-components-h"><h2 id="job-components-h">${heading} <small>for ${job.list.servings} ${job.kind === 'recipe' ? 'servings' : job.list.servings === 1 ? 'job' : 'jobs'}</small></h2>` +
    `<ul>${items}</ul>${link}</section>` +
    `<script type="application/ld+json">${scriptJson(jobJsonLd(job, options.url))}</script>`
  );
}

/**
 * The Markdown addition (common/render: addMarkdownAddition) that shows a job
 * page's list: "Get the components" goes to /coord/get?page=<path> on the same
 * site, which sends the shopper to the coordination page at the main site.
 */
export const jobMethodAddition: MarkdownAddition = (page) => jobBlockForPage(page.source, page.title, { getHref: `/coord/get?page=${encodeURIComponent(page.urlPath)}` });

/** The block for a page source, an error note when its list is wrong, or "" for an ordinary page. */
export function jobBlockForPage(source: string, title: string, options: JobBlockOptions = {}): string {
  const r = parseJobMethod(source, title);
  if (r === null) return '';
  if (!r.ok) return `<p class="job-components-error" role="note">The component list of this page cannot be read: ${escapeHtml(r.error)}</p>`;
  return renderJobBlock(r.job, options);
}
