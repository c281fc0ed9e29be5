import { solve, type Coefficients, type Constraint, type Solution } from 'yalps';
import { COVER_SLACK, type Prepared } from './prepare.js';
import type { PriorityKind, Priorities } from './types.js';

/**
 * The integer program behind a plan, solved with yalps (branch and bound over
 * an LP relaxation). The model (docs/coordination-plan.md):
 *
 * A component is bought from ONE supplier, in whole packs of that supplier
 * (any mix of its pack sizes), whenever some supplier alone has the stock for
 * it; only a component no single supplier can cover is split across suppliers.
 * Buying flour at two shops to save a few cents is not a plan a shopper wants,
 * and the restriction keeps the program a facility-location problem whose LP
 * relaxation is nearly always integral, so 30 components x 20 suppliers solve
 * in milliseconds instead of minutes.
 *
 *   y_sf  supplier s is used with fulfilment f              binary, at most one f per s
 *   w_cs  component c is covered by supplier s alone         binary, cost k_cs = the cheapest
 *         whole-pack mix of s's offers for c (found by exhaustive enumeration, `bestMix`)
 *   x_o   whole packs of offer o, only for split components  integer, 0..upper_o
 *   a_cs  the share of split component c covered at s         0..1
 *   T     the time the last supplier is ready                 (fastest)
 *   p_c   the share of c from the preferred supplier / chosen shop, 0..1
 *
 *   cover  sum_s w_cs = 1 (single) | sum_s a_cs >= 1 (split)
 *   fill   sum_{o of c at s} size_o x_o >= target_c a_cs     (split)
 *   open   w_cs <= sum_f y_sf,  a_cs <= sum_f y_sf,  x_o <= upper_o sum_f y_sf
 *   one    sum_f y_sf <= 1
 *
 * Priorities are lexicographic: solve for the first, add "no worse than its
 * optimum" as a row, solve for the next; "cheapest" always comes last.
 */

export interface Solved {
  /** Packs per prepared offer (same index). */
  packs: number[];
  /** The fulfilment option index chosen per prepared supplier, or -1 when unused. */
  fulfilment: number[];
  objectives: { kind: PriorityKind; value: number }[];
  /** False when the solver stopped at its time or iteration limit (per priority) with a feasible but unproven plan. */
  optimal: boolean;
}

/** The order of objectives actually optimised: the shopper's, then cheapest if not already there. */
export function objectiveOrder(priorities: Priorities): PriorityKind[] {
  return priorities.order.includes('cheapest') ? [...priorities.order] : [...priorities.order, 'cheapest'];
}

/** The cheapest whole-pack mix of some offers that holds at least `target`: packs per offer and cost, or null. */
export function bestMix(offers: { size: number; price: number; upper: number }[], target: number): { packs: number[]; cost: number } | null {
  let best: { packs: number[]; cost: number } | null = null;
  const n = offers.map(() => 0);
  const need = target * (1 - COVER_SLACK);
  // Exhaustive over every count of every offer (each at most what covers the target alone): a handful of offers with
  // small counts, so thousands of combinations at most. Cheaper-per-unit offers first finds a good bound early.
  const order = offers.map((_, i) => i).sort((a, b) => (offers[a]?.price ?? 0) / (offers[a]?.size ?? 1) - (offers[b]?.price ?? 0) / (offers[b]?.size ?? 1));
  const walk = (k: number, held: number, cost: number): void => {
    if (best !== null && cost >= best.cost) return;
    if (held >= need) {
      best = { packs: [...n], cost };
      return;
    }
    const i = order[k];
    if (i === undefined) return;
    const o = offers[i];
    if (o === undefined) return;
    const most = Math.min(o.upper, Math.ceil((need - held) / o.size));
    for (let m = most; m >= 0; m--) {
      n[i] = m;
      walk(k + 1, held + m * o.size, cost + m * o.price);
    }
    n[i] = 0;
  };
  walk(0, 0, 0);
  return best;
}

const yv = (s: number, f: number): string => `y${s}_${f}`;

/** Solves the prepared problem for the priorities; null when nothing at all can be bought. */
export function solvePrepared(p: Prepared, priorities: Priorities, limits: { maxIterations?: number; timeoutMs?: number } = {}): Solved | null {
  const order = objectiveOrder(priorities);
  if (!p.components.some((c) => c.target > 0)) return null;

  // Offers grouped by (component, supplier).
  const groups = new Map<string, number[]>();
  p.offers.forEach((o, i) => {
    const k = `${o.comp}_${o.supplier}`;
    const list = groups.get(k) ?? [];
    list.push(i);
    groups.set(k, list);
  });
  // The single-supplier covers, and which components must be split.
  const mixes = new Map<string, { comp: number; supplier: number; offers: number[]; packs: number[]; cost: number }>();
  for (const [k, list] of groups) {
    const first = p.offers[list[0] ?? -1];
    const c = first === undefined ? undefined : p.components[first.comp];
    if (first === undefined || c === undefined || c.target <= 0) continue;
    const mix = bestMix(
      list.map((i) => p.offers[i] ?? { size: 1, price: 0, upper: 0 }),
      c.target,
    );
    if (mix !== null) mixes.set(k, { comp: first.comp, supplier: first.supplier, offers: list, packs: mix.packs, cost: mix.cost });
  }
  const single = p.components.map((c, ci) => c.target > 0 && [...mixes.values()].some((m) => m.comp === ci));
  const split = p.components.map((c, ci) => c.target > 0 && !single[ci]);

  const constraints = new Map<string, Constraint>();
  const vars = new Map<string, Map<string, number>>();
  const coef = (v: string, c: string, n: number): void => {
    let m = vars.get(v);
    if (m === undefined) vars.set(v, (m = new Map<string, number>()));
    m.set(c, (m.get(c) ?? 0) + n);
  };
  const integers: string[] = [];
  const openAt = (s: number, row: string, times: number): void => p.suppliers[s]?.options.forEach((_, f) => coef(yv(s, f), row, -times));

  p.suppliers.forEach((s, si) => {
    constraints.set(`one${si}`, { max: 1 });
    s.options.forEach((_, fi) => {
      coef(yv(si, fi), `one${si}`, 1);
      integers.push(yv(si, fi));
    });
  });
  p.components.forEach((_, ci) => {
    if (single[ci] === true) constraints.set(`cover${ci}`, { equal: 1 });
    if (split[ci] === true) constraints.set(`cover${ci}`, { min: 1 });
  });
  for (const [k, m] of mixes) {
    const w = `w${k}`;
    integers.push(w);
    coef(w, `cover${m.comp}`, 1);
    constraints.set(`open${k}`, { max: 0 });
    coef(w, `open${k}`, 1);
    openAt(m.supplier, `open${k}`, 1);
  }
  for (const [k, list] of groups) {
    const first = p.offers[list[0] ?? -1];
    const c = first === undefined ? undefined : p.components[first.comp];
    if (first === undefined || c === undefined || split[first.comp] !== true) continue;
    const a = `a${k}`;
    coef(a, `cover${first.comp}`, 1);
    // Scaled by the target so every coefficient is a share of it.
    constraints.set(`fill${k}`, { min: 0 });
    coef(a, `fill${k}`, -(1 - COVER_SLACK));
    constraints.set(`aopen${k}`, { max: 0 });
    coef(a, `aopen${k}`, 1);
    openAt(first.supplier, `aopen${k}`, 1);
    for (const oi of list) {
      const o = p.offers[oi];
      if (o === undefined) continue;
      const x = `x${oi}`;
      integers.push(x);
      coef(x, `fill${k}`, o.size / c.target);
      constraints.set(`link${oi}`, { max: 0 });
      coef(x, `link${oi}`, 1);
      openAt(o.supplier, `link${oi}`, o.upper);
    }
  }

  // Objective terms, each as variable -> coefficient.
  const terms = new Map<PriorityKind, Map<string, number>>();
  const cheapest = new Map<string, number>();
  for (const [k, m] of mixes) cheapest.set(`w${k}`, m.cost);
  p.offers.forEach((o, oi) => split[o.comp] === true && cheapest.set(`x${oi}`, o.price));
  p.suppliers.forEach((s, si) => s.options.forEach((f, fi) => cheapest.set(yv(si, fi), f.fee.amount)));
  terms.set('cheapest', cheapest);
  const fewest = new Map<string, number>();
  p.suppliers.forEach((s, si) => s.options.forEach((_, fi) => fewest.set(yv(si, fi), 1)));
  terms.set('fewest_suppliers', fewest);
  if (order.includes('fastest')) {
    terms.set('fastest', new Map([['T', 1]]));
    p.suppliers.forEach((s, si) => {
      constraints.set(`time${si}`, { max: 0 });
      coef('T', `time${si}`, -1);
      s.options.forEach((f, fi) => coef(yv(si, fi), `time${si}`, f.readyInMinutes));
    });
  }
  /** p_c <= (c's share at the counted supplier) and p_c <= (the counted supplier/fulfilment is used); maximise sum p_c. */
  const share = (kind: 'pickup_at_shop' | 'preferred_supplier', tag: string, supplier: number, counts: (fi: number) => boolean): void => {
    const t = new Map<string, number>();
    terms.set(kind, t);
    if (supplier < 0) return;
    p.components.forEach((c, ci) => {
      if (c.target <= 0) return;
      const v = `${tag}${ci}`;
      t.set(v, -1);
      constraints.set(`${tag}fill${ci}`, { min: 0 });
      constraints.set(`${tag}open${ci}`, { max: 0 });
      coef(v, `${tag}fill${ci}`, -(1 - COVER_SLACK));
      coef(v, `${tag}open${ci}`, 1);
      const k = `${ci}_${supplier}`;
      if (mixes.has(k)) coef(`w${k}`, `${tag}fill${ci}`, 1);
      if (split[ci] === true) for (const oi of groups.get(k) ?? []) coef(`x${oi}`, `${tag}fill${ci}`, (p.offers[oi]?.size ?? 0) / c.target);
      p.suppliers[supplier]?.options.forEach((_, fi) => counts(fi) && coef(yv(supplier, fi), `${tag}open${ci}`, -1));
    });
  };
  if (order.includes('preferred_supplier')) {
    const s = p.suppliers.findIndex((x) => x.quote.supplier.id === priorities.preferredSupplier);
    share('preferred_supplier', 'pp', s, () => true);
  }
  if (order.includes('pickup_at_shop')) {
    const want = priorities.pickupShop;
    const s = p.suppliers.findIndex((x) => x.quote.supplier.id === want?.supplier);
    share('pickup_at_shop', 'ps', s, (fi) => {
      const f = p.suppliers[s]?.options[fi];
      return f?.method === 'pickup' && f.shop.id === want?.shop;
    });
  }

  const objectives: { kind: PriorityKind; value: number }[] = [];
  let last: Map<string, number> | null = null;
  let optimal = true;
  const base = new Map(constraints);
  const run = (kind: PriorityKind, rows: Map<string, Constraint>): Solution<string> => {
    const t = terms.get(kind) ?? new Map<string, number>();
    const variables = new Map<string, Coefficients>();
    for (const [v, m] of vars) {
      const withObj = new Map(m);
      const o = t.get(v);
      if (o !== undefined) withObj.set('obj', o);
      variables.set(v, withObj);
    }
    for (const [v, o] of t) if (!vars.has(v)) variables.set(v, new Map([['obj', o]]));
    const sol = solve({ direction: 'minimize', objective: 'obj', constraints: rows, variables, integers }, { maxIterations: limits.maxIterations ?? 32_768, timeout: limits.timeoutMs ?? 500 });
    if (sol.status !== 'optimal' && sol.status !== 'timedout') {
      // Cannot happen for a well-formed problem: buying every coverable target is always feasible.
      throw new Error(`planner: the solver ended "${sol.status}" at priority ${kind}`);
    }
    return sol;
  };
  // "Fastest" first is exact without branching: the earliest ready time at which the options no later than it can
  // still cover every target (by the model's rule); later options are then simply not allowed.
  let from = 0;
  if (order[0] === 'fastest') {
    const times = [...new Set(p.suppliers.flatMap((s) => s.options.map((f) => f.readyInMinutes)))].sort((a, b) => a - b);
    const covers = (r: number): boolean =>
      p.components.every((c, ci) => {
        if (c.target <= 0) return true;
        const open = (si: number): boolean => p.suppliers[si]?.options.some((f) => f.readyInMinutes <= r) === true;
        if (single[ci] === true) return [...mixes.values()].some((m) => m.comp === ci && open(m.supplier));
        const held = p.offers.reduce((sum, o) => sum + (o.comp === ci && open(o.supplier) ? o.size * o.upper : 0), 0);
        return held >= c.target * (1 - COVER_SLACK);
      });
    const r = times.find(covers);
    if (r !== undefined) {
      p.suppliers.forEach((s, si) =>
        s.options.forEach((f, fi) => {
          if (f.readyInMinutes <= r) return;
          constraints.set(`late${si}_${fi}`, { max: 0 });
          coef(yv(si, fi), `late${si}_${fi}`, 1);
        }),
      );
      objectives.push({ kind: 'fastest', value: r });
      from = 1;
    }
  }
  /** The priorities from `start` on, each fixed at its optimum before the next (rows named per call). */
  let calls = 0;
  const levels = (rows: Map<string, Constraint>, start: number): { objectives: typeof objectives; last: Map<string, number> | null; optimal: boolean } => {
    const id = calls++;
    const cons = new Map(rows);
    const out: typeof objectives = [];
    let got: Map<string, number> | null = null;
    let proven = true;
    for (const [level, kind] of order.entries()) {
      if (level < start) continue;
      const t = terms.get(kind) ?? new Map<string, number>();
      const sol = run(kind, cons);
      if (sol.status === 'timedout') proven = false;
      // Out of time without any integer solution: this priority is left unfixed (the plan says it is not proven optimal).
      if (!Number.isFinite(sol.result)) continue;
      out.push({ kind, value: sol.result });
      got = new Map(sol.variables);
      if (level < order.length - 1 && t.size > 0) {
        // Keep this optimum while optimising the next: integral objectives get half a unit of room, shares a hair.
        const room = kind === 'pickup_at_shop' || kind === 'preferred_supplier' ? 1e-6 : 0.5;
        const row = `lvl${id}_${level}`;
        cons.set(row, { max: sol.result + room });
        for (const [v, o] of t) coef(v, row, o);
      }
    }
    return { objectives: out, last: got, optimal: proven };
  };
  const only = (rows: Map<string, Constraint>, keep: number[]): Map<string, Constraint> => {
    const id = calls++;
    const out = new Map(rows);
    p.suppliers.forEach((s, si) =>
      s.options.forEach((_, fi) => {
        if (keep.includes(si)) return;
        out.set(`other${id}_${si}_${fi}`, { max: 0 });
        coef(yv(si, fi), `other${id}_${si}_${fi}`, 1);
      }),
    );
    return out;
  };

  // "Fewest suppliers" first: set cover over a few dozen suppliers, by enumerating supplier sets by size. With the
  // count fixed as a row, yalps branches for minutes; instead the remaining priorities are solved over each
  // smallest covering set (at most 32 of them, each a small program) and the lexicographically best is kept. With
  // more such sets, only the cheapest by a direct estimate is solved and the plan says it is not proven optimal.
  let result: ReturnType<typeof levels> | null = null;
  let fallbackRows = base;
  if (order[0] === 'fewest_suppliers') {
    const found = fewestCover(p, single, mixes);
    if (found !== null) {
      const tried = (found.sets.length <= 32 ? found.sets : [found.cheapest]).map((set) => {
        const rows = only(constraints, set);
        return { rows, r: levels(rows, 1) };
      });
      const better = (a: ReturnType<typeof levels>, b: ReturnType<typeof levels>): boolean => {
        if (a.last === null) return false;
        if (b.last === null) return true;
        for (let i = 0; i < Math.min(a.objectives.length, b.objectives.length); i++) {
          const d = (a.objectives[i]?.value ?? 0) - (b.objectives[i]?.value ?? 0);
          if (Math.abs(d) > 1e-7) return d < 0;
        }
        return false;
      };
      let pick = tried[0];
      for (const t of tried) if (pick === undefined || better(t.r, pick.r)) pick = t;
      if (pick !== undefined) {
        objectives.push({ kind: 'fewest_suppliers', value: found.size });
        result = pick.r;
        fallbackRows = pick.rows;
        if (!found.exhaustive || found.sets.length > 32) optimal = false;
      }
    }
  }
  result ??= levels(constraints, from);
  objectives.push(...result.objectives);
  last = result.last;
  if (!result.optimal) optimal = false;
  if (last === null) {
    // No priority found a solution in time: the cheapest plan alone, which the facility-location form solves fast.
    const sol = run('cheapest', fallbackRows);
    if (!Number.isFinite(sol.result)) throw new Error('planner: no plan found in time');
    last = new Map(sol.variables);
  }
  if (last === null) return null;
  const sol = last;
  const on = (v: string): number => Math.round(sol.get(v) ?? 0);
  const packs = p.offers.map((o, oi) => (split[o.comp] === true ? on(`x${oi}`) : 0));
  for (const [k, m] of mixes) {
    if (on(`w${k}`) !== 1) continue;
    m.offers.forEach((oi, j) => (packs[oi] = m.packs[j] ?? 0));
  }
  const fulfilment = p.suppliers.map((s, si) => s.options.findIndex((_, fi) => on(yv(si, fi)) === 1));
  return { packs, fulfilment, objectives, optimal };
}

/**
 * The fewest suppliers that together cover every target under the model's rule: every covering set of that size
 * (up to 33 kept) and the one with the lowest direct cost estimate (cheapest fee per supplier plus each
 * single-supplier component at its cheapest mix in the set). `exhaustive` says every set of that size was looked
 * at (the search stops after 200,000 sets). Null when none was found.
 */
function fewestCover(
  p: Prepared,
  single: boolean[],
  mixes: Map<string, { comp: number; supplier: number; cost: number }>,
): { size: number; sets: number[][]; cheapest: number[]; exhaustive: boolean } | null {
  const n = p.suppliers.length;
  const mixCost = p.components.map((_, ci) => new Map([...mixes.values()].filter((m) => m.comp === ci).map((m) => [m.supplier, m.cost])));
  const fee = p.suppliers.map((s) => Math.min(...s.options.map((f) => f.fee.amount)));
  const cost = (set: number[]): number | null => {
    let sum = set.reduce((a, s) => a + (fee[s] ?? 0), 0);
    for (const [ci, c] of p.components.entries()) {
      if (c.target <= 0) continue;
      if (single[ci] === true) {
        let best = Infinity;
        for (const s of set) best = Math.min(best, mixCost[ci]?.get(s) ?? Infinity);
        if (best === Infinity) return null;
        sum += best;
      } else {
        const held = p.offers.reduce((a, o) => a + (o.comp === ci && set.includes(o.supplier) ? o.size * o.upper : 0), 0);
        if (held < c.target * (1 - COVER_SLACK)) return null;
      }
    }
    return sum;
  };
  let budget = 200_000;
  for (let k = 1; k <= n; k++) {
    const set: number[] = [];
    const sets: number[][] = [];
    const best: { found: { set: number[]; cost: number } | null } = { found: null };
    const pick = (start: number): void => {
      if (set.length === k) {
        budget--;
        const c = cost(set);
        if (c === null) return;
        if (sets.length <= 32) sets.push([...set]);
        if (best.found === null || c < best.found.cost) best.found = { set: [...set], cost: c };
        return;
      }
      for (let s = start; s < n && budget > 0; s++) {
        set.push(s);
        pick(s + 1);
        set.pop();
      }
    };
    pick(0);
    const found = best.found;
    if (found !== null) return { size: k, sets, cheapest: found.set, exhaustive: budget > 0 };
    if (budget <= 0) return null;
  }
  return null;
}
