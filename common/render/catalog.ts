import { z } from 'zod';

/**
 * The product catalog: `catalog/products.json` in a release (the main site's
 * goods, carried by partners as tie-up goods) and `catalog.json` in a partner's
 * own folder (its original goods). Prices are integer minor units of the
 * catalog's one currency. Everything here is text written by an operator and
 * is escaped wherever it is shown.
 */
const productSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'product ids are 1-64 letters, digits, "-" or "_"'),
    name: z.string().min(1).max(200),
    category: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'categories are 1-40 lowercase letters, digits or "-"'),
    price: z.number().int().nonnegative().max(100_000_000),
    description: z.string().max(5000).optional(),
    /** The initial stock when the product first appears; stock then lives in the store, not in the release. */
    stock: z.number().int().nonnegative().max(1_000_000).optional(),
    /** A picture of the product: an SVG among the release's assets ("products/tent-2p.svg" is /assets/products/tent-2p.svg). */
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}(\/[a-z0-9][a-z0-9_-]{0,63}){0,3}\.svg$/, 'image is the path of an .svg file among the assets, such as "products/tent-2p.svg"')
      .optional(),
  })
  .strict();

const catalogSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code such as EUR'),
    products: z.array(productSchema).max(10_000),
  })
  .strict();

export type ProductSource = 'tie-up' | 'original';

export interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
  currency: string;
  description: string;
  initialStock: number;
  source: ProductSource;
  /** The asset path of its picture, if it has one. */
  image?: string;
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

export function parseCatalog(text: string, source: ProductSource): Product[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`the catalog is not valid JSON: ${(err as Error).message}`);
  }
  const r = catalogSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CatalogError(`the catalog is invalid at ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  const seen = new Set<string>();
  return r.data.products.map((p) => {
    if (seen.has(p.id)) throw new CatalogError(`product ${p.id} appears twice in the catalog`);
    seen.add(p.id);
    return {
      id: p.id,
      name: p.name,
      category: p.category,
      price: p.price,
      currency: r.data.currency,
      description: p.description ?? '',
      initialStock: p.stock ?? 0,
      source,
      ...(p.image ? { image: p.image } : {}),
    };
  });
}

/** Tie-up goods and a partner's own goods in one lookup; a tie-up id wins over an original one. */
export class Catalog {
  private readonly byId = new Map<string, Product>();
  readonly shadowed: string[] = [];
  readonly categories: { id: string; count: number }[];

  constructor(tieUp: Product[], originals: Product[] = []) {
    for (const p of tieUp) this.byId.set(p.id, p);
    for (const p of originals) {
      if (this.byId.has(p.id)) this.shadowed.push(p.id);
      else this.byId.set(p.id, p);
    }
    const counts = new Map<string, number>();
    for (const p of this.byId.values()) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
    this.categories = [...counts].map(([id, count]) => ({ id, count })).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): Product | undefined {
    return this.byId.get(id);
  }

  all(): Product[] {
    return [...this.byId.values()];
  }

  inCategory(category: string): Product[] {
    return this.all().filter((p) => p.category === category);
  }

  /** Case-insensitive match on every word of the query against the name. */
  search(query: string, limit = 50): Product[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
    if (words.length === 0) return [];
    return this.all()
      .filter((p) => {
        const n = p.name.toLowerCase();
        return words.every((w) => n.includes(w));
      })
      .slice(0, limit);
  }

  get size(): number {
    return this.byId.size;
  }
}

export const categoryTitle = (id: string): string => id.charAt(0).toUpperCase() + id.slice(1).replace(/-/g, ' ');
