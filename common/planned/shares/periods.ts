import type { StatementCycle } from './contract.js';

const DAY = 86_400_000;

/** The end of a part's holding period: the sale's time plus the contract's holding days. */
export function holdUntil(saleTime: string, holdingDays: number): string {
  return new Date(Date.parse(saleTime) + holdingDays * DAY).toISOString();
}

/** The start (UTC midnight) of the cycle's period that contains `time`: the 1st of the month, Monday, or the day. */
export function periodStart(cycle: StatementCycle, time: string): string {
  const d = new Date(time);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (cycle === 'daily') return new Date(day).toISOString();
  if (cycle === 'weekly') return new Date(day - ((d.getUTCDay() + 6) % 7) * DAY).toISOString();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

/** The first boundary of the cycle strictly after `start`: a period runs [start, next). */
export function periodEnd(cycle: StatementCycle, start: string): string {
  const d = new Date(start);
  if (cycle === 'daily') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
  if (cycle === 'weekly') {
    const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return new Date(day + (7 - ((d.getUTCDay() + 6) % 7)) * DAY).toISOString();
  }
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}
