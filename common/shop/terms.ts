import { z } from 'zod';
import type { Product } from './catalog.js';

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

/** The shop terms of a partner's contract, kept at the main site under the contract's "shop" key. */
export const shopTermsSchema = z
  .object({
    handling: z.object({ default: mode.default('entrust'), rules: z.array(rule).max(500).default([]) }).strict().default({ default: 'entrust', rules: [] }),
    /** What the main site commands for orders in consult mode. */
    consult: z
      .object({
        checkStock: z.boolean().default(true),
        warehouse: z.string().regex(/^[a-z0-9-]{1,40}$/).default('partner'),
        handlingFee: z.number().int().nonnegative().max(1_000_000).default(0),
      })
      .strict()
      .default({ checkStock: true, warehouse: 'partner', handlingFee: 0 }),
    /** Whether the partner may keep a copy of its shoppers' password hashes and profiles. */
    userCopy: z.boolean().default(false),
  })
  .strict();

export type ShopTerms = z.output<typeof shopTermsSchema>;

export const DEFAULT_SHOP_TERMS: ShopTerms = shopTermsSchema.parse({});

/** The shop terms in a stored contract; unreadable terms mean the defaults (everything entrusted). */
export function shopTerms(contract: Record<string, unknown>): ShopTerms {
  const r = shopTermsSchema.safeParse(contract.shop ?? {});
  return r.success ? r.data : DEFAULT_SHOP_TERMS;
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
