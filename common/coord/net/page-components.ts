import { componentList, type ComponentList } from '../index.js';
import { parseFrontMatter } from '../../render/front-matter.js';

/**
 * The component list of a job-method page, from its Markdown source: a fenced
 * block in the body,
 *
 *     ```components servings=4
 *     300 g flour
 *     2 each eggs
 *     250 ml milk | optional
 *     1 tbsp sugar | or honey, maple syrup | density 0.85 g/ml | note caster
 *     ```
 *
 * one component per line: quantity, unit, name, then "|"-separated options.
 * Returns null for a page without one; throws RangeError naming the line for a
 * block that does not parse (so an author sees the mistake).
 */
export function componentsOfPage(source: string): { title: string; list: ComponentList } | null {
  const { attributes, body } = parseFrontMatter(source);
  const m = /^```components([^\n]*)\n([\s\S]*?)\n```/m.exec(body);
  if (!m) return null;
  const servings = Number(/servings\s*=\s*(\d+)/.exec(m[1]!)?.[1] ?? attributes.servings ?? 1);
  const components = m[2]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const [head, ...opts] = line.split('|').map((x) => x.trim());
      const h = /^(\d+(?:\.\d+)?)\s+(\S+)\s+(.+)$/.exec(head!);
      if (!h) throw new RangeError(`component line "${line}": write "<quantity> <unit> <name>"`);
      const c: Record<string, unknown> = { name: h[3], quantity: Number(h[1]), unit: h[2], optional: false, alternatives: [] };
      for (const o of opts) {
        if (o === 'optional') c.optional = true;
        else if (o.startsWith('or '))
          c.alternatives = o
            .slice(3)
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
        else if (o.startsWith('density ')) c.density = o.slice(8).trim();
        else if (o.startsWith('note ')) c.note = o.slice(5).trim();
        else throw new RangeError(`component line "${line}": unknown option "${o}"`);
      }
      return c;
    });
  const r = componentList.safeParse({ servings, components });
  if (!r.success) throw new RangeError(`components: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const title = typeof attributes.title === 'string' ? attributes.title : (/^#\s+(.+)$/m.exec(body)?.[1] ?? 'How-to');
  return { title, list: r.data };
}
