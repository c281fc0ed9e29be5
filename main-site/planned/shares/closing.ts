import type { ContractVersion, StatementCycle } from '../../../common/planned/shares/contract.js';
import { periodEnd, periodStart } from '../../../common/planned/shares/periods.js';
import { closeTotals, contractClosing, cycleAt, type StatementTotals } from '../../../common/planned/shares/statement.js';
import type { AccountRow, SharesStore } from './shares-store.js';

const DAY = 86_400_000;

/** One account's statement for one period, from SQL totals (lines are listed from the records on demand). */
export interface DueStatement {
  account: AccountRow;
  period: { from: string; to: string; cycle: StatementCycle };
  currency: string;
  lineCount: number;
  totals: StatementTotals;
}

export interface DueWindow {
  planner: string;
  from: string;
  to: string;
  cycle: StatementCycle;
}

/**
 * Every statement due by `now`, for every planner, computed from the parts
 * table alone: one grouped scan per period window (planners on the same
 * cycle share it), opening balances carried from the last closed statement
 * or, within the run, from the window before. Nothing is written: closing
 * (the service) stores what this returns. It must agree with the pure
 * statementChain over the same records; a test holds the two to it.
 */
export function computeDue(store: SharesStore, contractsOf: (planner: string) => ContractVersion[], now: string): { windows: DueWindow[]; statements: DueStatement[] } {
  const contracts = new Map<string, ContractVersion[]>();
  const next = new Map<string, string>(); // planner -> start of its next period to close
  for (const planner of store.planners()) {
    const versions = contractsOf(planner);
    if (!versions.length) continue;
    contracts.set(planner, versions);
    const closed = store.closedThrough(planner);
    const first = closed ?? store.firstPartAt(planner);
    if (first) next.set(planner, closed ?? periodStart(cycleAt(versions, first), first));
  }
  const accountsByPlanner = new Map<string, AccountRow[]>();
  for (const a of store.allAccounts()) {
    const list = accountsByPlanner.get(a.planner) ?? [];
    list.push(a);
    accountsByPlanner.set(a.planner, list);
  }
  const carried = new Map<number, number>();
  const opening = (a: AccountRow) => {
    let v = carried.get(a.id);
    if (v === undefined) {
      const last = store.lastStatement(a.id);
      v = last ? last.closing - last.payout : 0;
      carried.set(a.id, v);
    }
    return v;
  };
  const windows: DueWindow[] = [];
  const statements: DueStatement[] = [];
  for (;;) {
    // The windows due now, grouped so planners on one cycle share one scan.
    const groups = new Map<string, { from: string; to: string; cycle: StatementCycle; planners: string[] }>();
    for (const [planner, from] of next) {
      const versions = contracts.get(planner)!;
      const cycle = cycleAt(versions, from);
      const to = periodEnd(cycle, from);
      if (to > now) continue;
      const key = `${from} ${to}`;
      const g = groups.get(key) ?? { from, to, cycle, planners: [] };
      g.planners.push(planner);
      groups.set(key, g);
    }
    if (!groups.size) break;
    for (const g of [...groups.values()].sort((a, b) => (a.from < b.from ? -1 : 1))) {
      const mine = new Set(g.planners);
      const totals = new Map<number, { credits: number; debits: number; lines: number; held: number }>();
      for (const r of store.windowTotals(g.from, g.to)) {
        const a = store.account(r.account);
        if (a && mine.has(a.planner)) totals.set(r.account, { credits: r.credits, debits: r.debits, lines: r.lines, held: r.held });
      }
      // Parts from before the window still held at its end: only when a holding period is longer than the window.
      let maxHold = 0;
      for (const p of g.planners) for (const v of contracts.get(p)!) maxHold = Math.max(maxHold, v.terms.holdingDays);
      const since = new Date(Date.parse(g.to) - maxHold * DAY).toISOString();
      if (since < g.from) {
        for (const r of store.heldBefore(since, g.from, g.to)) {
          const a = store.account(r.account);
          if (!a || !mine.has(a.planner)) continue;
          const t = totals.get(r.account) ?? { credits: 0, debits: 0, lines: 0, held: 0 };
          t.held += r.held;
          totals.set(r.account, t);
        }
      }
      for (const planner of g.planners) {
        const versions = contracts.get(planner)!;
        const contract = contractClosing(versions, g.to);
        windows.push({ planner, from: g.from, to: g.to, cycle: g.cycle });
        for (const a of accountsByPlanner.get(planner) ?? []) {
          const t = totals.get(a.id);
          const open = opening(a);
          if (!t && open === 0) continue;
          const s = closeTotals(open, t?.credits ?? 0, t?.debits ?? 0, t?.held ?? 0, contract);
          carried.set(a.id, s.carried);
          statements.push({ account: a, period: { from: g.from, to: g.to, cycle: g.cycle }, currency: contract.terms.currency, lineCount: t?.lines ?? 0, totals: s });
        }
        next.set(planner, g.to);
      }
    }
  }
  return { windows, statements };
}
