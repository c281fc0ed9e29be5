import { escapeHtml } from '../render/page-renderer.js';

/**
 * How console pages show an instant, one way everywhere: a <time> element
 * whose datetime is the UTC instant; its text is the UTC time, which
 * /console-assets/console.js replaces with the reader's local time (the server
 * does not know the reader's zone); the title keeps the UTC instant on hover.
 * Anything that is not an instant is shown as it is (or a dash when empty).
 */
export function timeTag(value: string | number | Date | null | undefined, empty = '–'): string {
  if (value === null || value === undefined || value === '') return escapeHtml(empty);
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return escapeHtml(String(value));
  const iso = d.toISOString();
  const utc = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return `<time datetime="${iso}" title="${utc}">${utc}</time>`;
}

/** "1 release", "2 releases", "0 releases": a count with its noun in the right number. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** What console views get as helpers (res.locals). */
export const consoleFormat = { time: timeTag, plural };
