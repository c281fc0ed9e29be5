/**
 * Report cycles (seed Fig. 26: daily, weekly and monthly reports, chosen per
 * supplier). All in UTC: a day is 00:00 to 24:00, a week is an ISO 8601 week
 * (Monday to Monday), a month is the 1st to the 1st.
 */
export const CYCLES = ['daily', 'weekly', 'monthly'] as const;
export type Cycle = (typeof CYCLES)[number];

/** One cycle's time range [from, to), the cycle before it [previousFrom, from), and the start of the month its last day is in. */
export interface CycleWindow {
  cycle: Cycle;
  /** 2026-11-30 (daily), 2026-W49 (weekly), 2026-11 (monthly). */
  period: string;
  from: Date;
  to: Date;
  previousFrom: Date;
  monthStart: Date;
}

const DAY = 86_400_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Monday 00:00 UTC of ISO week 1 of `year` (the week holding 4 January). */
function isoWeekOne(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7; // Monday 0
  return jan4 - weekday * DAY;
}

function startOf(cycle: Cycle, at: Date): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  if (cycle === 'daily') return new Date(Date.UTC(y, m, d));
  if (cycle === 'monthly') return new Date(Date.UTC(y, m, 1));
  const day = Date.UTC(y, m, d);
  return new Date(day - ((at.getUTCDay() + 6) % 7) * DAY);
}

function next(cycle: Cycle, from: Date): Date {
  if (cycle === 'daily') return new Date(from.getTime() + DAY);
  if (cycle === 'weekly') return new Date(from.getTime() + 7 * DAY);
  return new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
}

function previous(cycle: Cycle, from: Date): Date {
  if (cycle === 'daily') return new Date(from.getTime() - DAY);
  if (cycle === 'weekly') return new Date(from.getTime() - 7 * DAY);
  return new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 1, 1));
}

function periodName(cycle: Cycle, from: Date): string {
  const y = from.getUTCFullYear();
  if (cycle === 'daily') return `${y}-${pad(from.getUTCMonth() + 1)}-${pad(from.getUTCDate())}`;
  if (cycle === 'monthly') return `${y}-${pad(from.getUTCMonth() + 1)}`;
  // The ISO year of a week is the year of its Thursday.
  const thursday = new Date(from.getTime() + 3 * DAY);
  const wy = thursday.getUTCFullYear();
  return `${wy}-W${pad(Math.floor((from.getTime() - isoWeekOne(wy)) / (7 * DAY)) + 1)}`;
}

function windowFrom(cycle: Cycle, from: Date): CycleWindow {
  const to = next(cycle, from);
  const last = new Date(to.getTime() - 1);
  return { cycle, period: periodName(cycle, from), from, to, previousFrom: previous(cycle, from), monthStart: new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1)) };
}

/** The cycle that holds the instant `at`. */
export function cycleAt(cycle: Cycle, at: Date): CycleWindow {
  return windowFrom(cycle, startOf(cycle, at));
}

/** The latest cycle that has ended by `now` (the one before the cycle holding now). */
export function lastClosed(cycle: Cycle, now: Date): CycleWindow {
  return windowFrom(cycle, previous(cycle, startOf(cycle, now)));
}

const PERIOD_RE: Record<Cycle, RegExp> = { daily: /^(\d{4})-(\d{2})-(\d{2})$/, weekly: /^(\d{4})-W(\d{2})$/, monthly: /^(\d{4})-(\d{2})$/ };

/** The cycle a period name names, or undefined when it names none (2026-02-30, 2026-W54, ...). */
export function cycleOf(cycle: Cycle, period: string): CycleWindow | undefined {
  const m = PERIOD_RE[cycle].exec(period);
  if (!m) return undefined;
  const y = Number(m[1]);
  let from: Date;
  if (cycle === 'daily') from = new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3])));
  else if (cycle === 'monthly') from = new Date(Date.UTC(y, Number(m[2]) - 1, 1));
  else from = new Date(isoWeekOne(y) + (Number(m[2]) - 1) * 7 * DAY);
  const w = windowFrom(cycle, from);
  // Round trip: a day or month that does not exist, or a week 53 the year lacks, names another period.
  return w.period === period ? w : undefined;
}

export const isCycle = (s: unknown): s is Cycle => typeof s === 'string' && (CYCLES as readonly string[]).includes(s);
