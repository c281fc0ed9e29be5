import type { Component, ComponentList } from './types.js';
import { convertQuantity, tidy } from './units.js';

/** Components are the same when their names are, ignoring case and spacing ("Plain  Flour" = "plain flour"). */
export function componentKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The list for `servings` servings: every quantity times servings / list.servings (unrounded: packs round later). */
export function scaleForServings(list: ComponentList, servings: number): ComponentList {
  if (!Number.isInteger(servings) || servings < 1) throw new RangeError('servings must be a whole number of at least 1');
  const f = servings / list.servings;
  return { servings, components: list.components.map((c) => ({ ...c, quantity: tidy(c.quantity * f) })) };
}

/**
 * What the shopper picked (claims 9-10, 25-26): the list without the unticked
 * components and with the quantities they changed. Names are matched by
 * `componentKey`; a change for a name the list does not have is an error, so a
 * typo never silently buys the recipe's amount.
 */
export function pickComponents(list: ComponentList, picking: { untick?: string[]; quantities?: Record<string, number> }): ComponentList {
  const have = new Set(list.components.map((c) => componentKey(c.name)));
  const untick = new Set((picking.untick ?? []).map(componentKey));
  const changes = new Map(Object.entries(picking.quantities ?? {}).map(([k, v]) => [componentKey(k), v]));
  for (const k of [...untick, ...changes.keys()]) if (!have.has(k)) throw new RangeError(`no component "${k}" in the list`);
  for (const [k, v] of changes) if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`quantity for "${k}" must be positive`);
  const components = list.components
    .filter((c) => !untick.has(componentKey(c.name)))
    .map((c) => {
      const q = changes.get(componentKey(c.name));
      return q === undefined ? c : { ...c, quantity: q };
    });
  return { servings: list.servings, components };
}

function mergeInto(into: Component, add: Component): Component | null {
  const density = into.density ?? add.density;
  const q = convertQuantity(add.quantity, add.unit, into.unit, density);
  if (q === null) return null;
  return {
    ...into,
    quantity: tidy(into.quantity + q),
    optional: into.optional && add.optional,
    alternatives: unionNames(into.alternatives, add.alternatives),
    ...(density !== undefined ? { density } : {}),
  };
}

function unionNames(a: string[], b: string[]): string[] {
  const seen = new Set(a.map(componentKey));
  return [...a, ...b.filter((n) => !seen.has(componentKey(n)) && (seen.add(componentKey(n)), true))];
}

/**
 * Adds up lists (several jobs, or one job's parts) into one shopping list:
 * the same component in different units is converted into the unit it was
 * first seen in (mass, volume, length, area, counts; mass <-> volume only
 * through a stated density). Amounts that cannot be converted stay as separate
 * entries of the same name rather than being added wrongly. A merged component
 * is optional only if it is optional everywhere. The servings of the result
 * are 1: each list should be scaled to what the shopper wants first.
 */
export function mergeComponents(lists: ComponentList[]): ComponentList {
  const out: Component[] = [];
  for (const list of lists) {
    for (const c of list.components) {
      const k = componentKey(c.name);
      let merged = false;
      for (let i = 0; i < out.length && !merged; i++) {
        const o = out[i];
        if (o === undefined || componentKey(o.name) !== k) continue;
        const m = mergeInto(o, c);
        if (m !== null) {
          out[i] = m;
          merged = true;
        }
      }
      if (!merged) out.push({ ...c });
    }
  }
  if (out.length === 0) throw new RangeError('nothing to merge');
  return { servings: 1, components: out };
}

/** A component of a reconciled list, with which providers list it. */
export interface ReconciledComponent extends Component {
  sources: string[];
}

/**
 * Several job-method providers' lists for the SAME job (claims 8, 24): unlike
 * `mergeComponents`, quantities are not added (it is one job, done once), each
 * list is scaled to `servings` and each component takes the largest quantity
 * any provider asks for, so every provider's method can be followed. A
 * component that not every provider lists becomes optional. Units convert as
 * in `mergeComponents`; an amount that does not convert is kept as its own
 * entry.
 */
export function reconcileProviderLists(lists: { provider: string; list: ComponentList }[], servings: number): { servings: number; components: ReconciledComponent[] } {
  if (lists.length === 0) throw new RangeError('no lists to reconcile');
  const out: ReconciledComponent[] = [];
  for (const { provider, list } of lists) {
    for (const c of scaleForServings(list, servings).components) {
      const k = componentKey(c.name);
      const i = out.findIndex((o) => componentKey(o.name) === k && convertQuantity(c.quantity, c.unit, o.unit, o.density ?? c.density) !== null);
      const o = out[i];
      if (o === undefined) {
        out.push({ ...c, sources: [provider] });
        continue;
      }
      const q = convertQuantity(c.quantity, c.unit, o.unit, o.density ?? c.density) ?? 0;
      out[i] = {
        ...o,
        quantity: tidy(Math.max(o.quantity, q)),
        optional: o.optional && c.optional,
        alternatives: unionNames(o.alternatives, c.alternatives),
        sources: o.sources.includes(provider) ? o.sources : [...o.sources, provider],
      };
    }
  }
  const providers = new Set(lists.map((l) => l.provider)).size;
  return { servings, components: out.map((c) => (c.sources.length < providers ? { ...c, optional: true } : c)) };
}
