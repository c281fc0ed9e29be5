import { MINOR_UNITS } from '../../common/money.js';
import { FORMATS } from '../../common/planned/index.js';
import { plannedErrors } from './errors.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** "12.50" in a currency -> 1250 minor units; "" -> null. Refuses more decimals than the currency has. */
export function amountFromText(text: string, currency: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const digits = MINOR_UNITS[currency] ?? 2;
  const m = /^(\d{1,9})(?:[.,](\d+))?$/.exec(t);
  if (!m || (m[2] && m[2].length > digits)) throw plannedErrors.invalid_input(`a price is a number with at most ${digits} decimal(s), like ${digits ? `12.${'5'.padEnd(digits, '0')}` : '1200'}`);
  return Number(m[1]) * 10 ** digits + Number((m[2] ?? '').padEnd(digits, '0') || '0');
}

export function amountToText(amount: number | null, currency: string): string {
  if (amount === null) return '';
  const digits = MINOR_UNITS[currency] ?? 2;
  return digits ? `${Math.floor(amount / 10 ** digits)}.${String(amount % 10 ** digits).padStart(digits, '0')}` : String(amount);
}

const slug = (s: string, i: number) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 28) || `section-${i + 1}`;

/**
 * The assistant's form as a page spec (checked afterwards by pageSpec):
 * sections are one per line, "Heading: what contributors should write".
 */
export function specFromForm(body: Record<string, unknown>): unknown {
  const currency = str(body.currency);
  const seen = new Set<string>();
  const sections = str(body.sections)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      const [heading, ...rest] = l.split(':');
      let id = slug(heading!, i);
      while (seen.has(id)) id = `${id}-${i + 1}`;
      seen.add(id);
      return { id, heading: heading!.trim(), intro: rest.join(':').trim() };
    });
  return {
    layout: str(body.layout),
    title: str(body.title),
    description: str(body.description),
    sections,
    currency,
    contributionPrice: currency in MINOR_UNITS ? amountFromText(str(body.contributionPrice), currency) : null,
    pagePrice: currency in MINOR_UNITS ? amountFromText(str(body.pagePrice), currency) : null,
    formats: list(body.formats).filter((f) => (FORMATS as readonly string[]).includes(f)),
  };
}

/** A spec back into the form's fields (editing a draft). */
export function formFromSpec(spec: {
  layout: string;
  title: string;
  description: string;
  sections: { heading: string; intro: string }[];
  currency: string;
  contributionPrice: number | null;
  pagePrice: number | null;
  formats: string[];
}) {
  return {
    layout: spec.layout,
    title: spec.title,
    description: spec.description,
    sections: spec.sections.map((s) => (s.intro ? `${s.heading}: ${s.intro.replace(/\n/g, ' ')}` : s.heading)).join('\n'),
    currency: spec.currency,
    contributionPrice: amountToText(spec.contributionPrice, spec.currency),
    pagePrice: amountToText(spec.pagePrice, spec.currency),
    formats: spec.formats,
  };
}
