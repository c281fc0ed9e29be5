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

/**
 * A span of minutes as a reader says it: "45 min", "2 h 30 min", "1 day",
 * "2 days 3 h". Every non-zero part is kept (a lead time is never rounded
 * down to look shorter); 0 is "0 min".
 */
export function formatMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m === 0) return '0 min';
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  const mins = m % 60;
  return [days > 0 ? plural(days, 'day') : '', hours > 0 ? `${hours} h` : '', mins > 0 ? `${mins} min` : ''].filter(Boolean).join(' ');
}

/**
 * A period given as [from, to) instants, as a reader says it: "2026-11-01 to
 * 2026-11-30 (UTC)" for whole days (the end is exclusive, so the last day is
 * the one before it), one date for a single day, the two instants otherwise.
 */
export function daySpan(from: string, to: string): string {
  const a = Date.parse(from);
  const b = Date.parse(to);
  const day = 86_400_000;
  if (Number.isNaN(a) || Number.isNaN(b) || a % day !== 0 || b % day !== 0 || b <= a) return `${from} to ${to} (UTC)`;
  const first = new Date(a).toISOString().slice(0, 10);
  const last = new Date(b - day).toISOString().slice(0, 10);
  return first === last ? `${first} (UTC)` : `${first} to ${last} (UTC)`;
}

/** What console views get as helpers (res.locals). */
export const consoleFormat = { time: timeTag, plural, minutes: formatMinutes, daySpan };
