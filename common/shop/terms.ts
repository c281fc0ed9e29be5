import { z } from 'zod';
import { defineTermsSlice, readTerms, type TermsOf } from '../contract/terms.js';
import type { Product } from '../render/catalog.js';

/**
 * How a partner handles orders on tie-up goods (the seed's modes (1)-(4)):
 *   local    the partner processes the order itself, from its own stock;
 *   entrust  the partner forwards the order to the main site, which processes it;
 *   consult  the partner asks the main site first, then processes the order
 *            itself as the main site's answer commands.
 * Rules pick a mode per product or per category, so one partner can mix them
 * (mode (4)). Orders on a partner's original goods are always local.
 */
export const HANDLING_MODES = ['local', 'entrust', 'consult'] as const;
export type HandlingMode = (typeof HANDLING_MODES)[number];

const mode = z.enum(HANDLING_MODES);
const rule = z.union([z.object({ product: z.string().min(1).max(64), mode }).strict(), z.object({ category: z.string().min(1).max(40), mode }).strict()]);

/**
 * The shop terms of a partner's contract, version 1, under "shop": how its
 * orders on tie-up goods are handled. Defaults apply only when the main site
 * writes the terms. (Whether the partner keeps user copies is a users term.)
 */
export const shopTermsSchema = z
  .object({
    handling: z
      .object({
        default: mode.default('entrust').meta({
          title: 'Handling mode for tie-up goods',
          description: 'local: the partner ships from its own stock; entrust: the main site processes the order; consult: the partner asks the main site first.',
        }),
        rules: z.array(rule).max(500).default([]).meta({ title: 'Handling rules', description: 'Exceptions by product or category, as JSON: [{"category": "kitchen", "mode": "local"}].' }),
      })
      .strict()
      .default({ default: 'entrust', rules: [] }),
    /** What the main site commands for orders in consult mode. */
    consult: z
      .object({
        checkStock: z.boolean().default(true).meta({ title: 'Consulted orders: check stock', description: 'Whether the main site checks stock before it commands the partner.' }),
        warehouse: z
          .string()
          .regex(/^[a-z0-9-]{1,40}$/)
          .default('partner')
          .meta({ title: 'Consulted orders: warehouse', expects: '1 to 40 lowercase letters, digits or hyphens', description: '"partner" (its own stock), "central", or a warehouse id.' }),
        handlingFee: z.number().int().nonnegative().max(1_000_000).default(0).meta({ title: 'Fee per consulted order', unit: 'cents', description: "In cents of the order's currency: 300 is 3.00." }),
      })
      .strict()
      .default({ checkStock: true, warehouse: 'partner', handlingFee: 0 }),
  })
  .strict();

export const shopTermsSlice = defineTermsSlice({
  key: 'shop',
  version: 1,
  schema: shopTermsSchema,
  whenAbsent: 'no shop arrangement: the main site handles every order on tie-up goods (all entrusted), and nothing is handled in consult mode',
  // Before slices, the shop terms sat under "shop" too, with userCopy (now a users term) among them.
  unsliced: {
    keys: ['shop'],
    take: (old) => {
      const shop = old.shop;
      if (shop === undefined) return undefined;
      if (!shop || typeof shop !== 'object' || Array.isArray(shop)) return shop;
      const { userCopy: _moved, ...rest } = shop as Record<string, unknown>;
      return rest;
    },
  },
});

export type ShopTerms = TermsOf<typeof shopTermsSlice>;

/** What a contract without shop terms means (see `whenAbsent`): every tie-up order is entrusted to the main site. */
export const NO_SHOP_ARRANGEMENT: ShopTerms = Object.freeze({
  handling: Object.freeze({ default: 'entrust', rules: [] }),
  consult: Object.freeze({ checkStock: true, warehouse: 'partner', handlingFee: 0 }),
});

/**
 * The shop terms of a stored contract, read strictly. Absent terms mean no
 * shop arrangement (`contracted: false`, every tie-up order entrusted);
 * unreadable terms are a problem, never the defaults.
 */
export function readShopTerms(contract: Readonly<Record<string, unknown>>): { ok: true; terms: ShopTerms; contracted: boolean } | { ok: false; problem: string } {
  const r = readTerms(contract, shopTermsSlice);
  if (!r.ok) return r;
  return r.terms === null ? { ok: true, terms: NO_SHOP_ARRANGEMENT, contracted: false } : { ok: true, terms: r.terms, contracted: true };
}

export function handlingMode(terms: ShopTerms, product: Product): HandlingMode {
  if (product.source === 'original') return 'local';
  const rules = terms.handling.rules;
  for (const r of rules) if ('product' in r && r.product === product.id) return r.mode;
  for (const r of rules) if ('category' in r && r.category === product.category) return r.mode;
  return terms.handling.default;
}

/** The main site's answer to a consultation: how the partner must process the order. */
export interface ConsultCommand {
  checkStock: boolean;
  warehouse: string;
  handlingFee: { amount: number; currency: string };
  consultationId: string;
}
