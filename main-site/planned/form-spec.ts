import { amountFromText as moneyFromText, amountToText, MINOR_UNITS } from '../../common/money.js';
import { FORMATS } from '../../common/planned/index.js';
import { plannedErrors } from './errors.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A price typed in a planned-page form, refused with the capability's error code. */
export function amountFromText(text: string, currency: string): number | null {
  try {
    return moneyFromText(text, currency);
  } catch (err) {
    throw plannedErrors.invalid_input(`a price is ${(err as Error).message.replace(/^an amount is /, '')}`);
  }
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
    contributionPrice: Object.hasOwn(MINOR_UNITS, currency) ? amountFromText(str(body.contributionPrice), currency) : null,
    pagePrice: Object.hasOwn(MINOR_UNITS, currency) ? amountFromText(str(body.pagePrice), currency) : null,
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
