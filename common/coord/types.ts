import { z } from 'zod';
import { MINOR_UNITS } from '../money.js';

/**
 * The vocabulary of component coordination (seed 002): what a job-method page
 * needs, what a supplier offers, what the shopper cares about, and the plan.
 * Everything here is data that crosses a boundary somewhere (front matter, an
 * s2s body, a console form), so each shape is a strict zod schema and the
 * TypeScript type is inferred from it.
 *
 * Quantities are decimal numbers in a named unit ("300 g", "2 tbsp", "3 each");
 * money is integer minor units with a currency, never a float.
 */

const MAX_NAME = 120;

/** A component's name; compared case- and space-insensitively (see `componentKey`). */
export const componentName = z.string().trim().min(1).max(MAX_NAME);

/**
 * A unit: anything js-quantities knows as mass, volume, length, area or a count
 * ("g", "kg", "lb", "ml", "tbsp", "cup", "m", "each", "dozen"), the count words
 * "piece"/"pc"/"pcs"/"x", or any other word ("clove", "pinch") that is then
 * only ever added to the same word.
 */
export const unitName = z.string().trim().min(1).max(32);

export const quantity = z.number().positive().max(1e9).finite();

/**
 * A density as mass per volume, e.g. "0.59 g/ml" (flour) or "1.03 kg/l" (milk).
 * Only a component that states its density may be converted between mass and
 * volume; nothing guesses one.
 */
export const density = z.string().trim().min(3).max(32);

export const amount = z.strictObject({ quantity, unit: unitName });
export type Amount = z.output<typeof amount>;

export const money = z.strictObject({
  amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().refine((c) => c in MINOR_UNITS, 'an ISO 4217 currency with a known minor unit'),
});
export type CoordMoney = z.output<typeof money>;

/** One thing a job needs: "300 g flour", "2 each eggs" (optional), "1 l milk (or oat drink)". */
export const component = z.strictObject({
  name: componentName,
  quantity,
  unit: unitName,
  /** The job works without it (a garnish, a spare part); the picking page shows it unticked-able by default. */
  optional: z.boolean().default(false),
  /** Names that may be supplied instead; a supplier's offer for one of them covers this component. */
  alternatives: z.array(componentName).max(10).default([]),
  /** Mass per volume; present only when the page's author states it. */
  density: density.optional(),
  /** A free note shown beside the component ("sifted", "M6 x 20"). */
  note: z.string().max(200).optional(),
});
export type Component = z.output<typeof component>;
export type ComponentInput = z.input<typeof component>;

/** A job's component list and the number of servings (or units of work) it is written for. */
export const componentList = z.strictObject({
  servings: z.int().min(1).max(1000).default(1),
  components: z.array(component).min(1).max(200),
});
export type ComponentList = z.output<typeof componentList>;
export type ComponentListInput = z.input<typeof componentList>;

/** What is sent to suppliers and planned for: the picked components, after scaling, unticking and changes. */
export const planRequest = z.strictObject({
  currency: money.shape.currency,
  components: z.array(component).min(1).max(200),
});
export type PlanRequest = z.output<typeof planRequest>;

export const SUPPLIER_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const supplierId = z.string().regex(SUPPLIER_ID_RE, 'a supplier id is 1-64 lowercase letters, digits or "-"');

export const supplierRef = z.strictObject({ id: supplierId, name: z.string().min(1).max(120) });
export type SupplierRef = z.output<typeof supplierRef>;

/** A shop where goods can be picked up. */
export const shop = z.strictObject({
  id: z.string().regex(SUPPLIER_ID_RE, 'a shop id is 1-64 lowercase letters, digits or "-"'),
  name: z.string().min(1).max(120),
  address: z.string().max(300).optional(),
});
export type Shop = z.output<typeof shop>;

/**
 * How a supplier hands goods over. Delivery is done by the delivery service
 * (claim 6) or by the supplier itself; pickup is at one of its shops (claim 5).
 * `readyInMinutes` is the time from the order to the goods being at the door or
 * ready at the shop: the basis of "fastest complete delivery".
 */
export const fulfilmentOption = z.discriminatedUnion('method', [
  z.strictObject({
    id: z.string().min(1).max(64),
    method: z.literal('delivery'),
    fee: money,
    readyInMinutes: z
      .int()
      .min(0)
      .max(60 * 24 * 60),
  }),
  z.strictObject({
    id: z.string().min(1).max(64),
    method: z.literal('pickup'),
    fee: money,
    shop,
    readyInMinutes: z
      .int()
      .min(0)
      .max(60 * 24 * 60),
  }),
]);
export type FulfilmentOption = z.output<typeof fulfilmentOption>;

/** How the shopper may pay a supplier: cash (or card) on hand-over (claims 4, 5), or through the settlement agent (claims 3, 21). */
export const PAYMENT_METHODS = ['cash_on_delivery', 'electronic'] as const;
export const paymentMethod = z.enum(PAYMENT_METHODS);
export type PaymentMethod = z.output<typeof paymentMethod>;

/**
 * One product a supplier offers for one requested component, in its own pack:
 * "Mill Flour, 1 kg bag, 1.20 EUR, 14 in stock". A supplier may offer several
 * products (pack sizes) for the same component.
 */
export const offer = z.strictObject({
  id: z.string().min(1).max(64),
  /** The requested component's name (as in the request) this offer covers. */
  component: componentName,
  /** Set when the product is one of the component's alternatives rather than the component itself. */
  alternative: componentName.optional(),
  product: z.string().min(1).max(200),
  /** The pack's content in the supplier's unit: 1 kg, 500 ml, 6 each. */
  packSize: amount,
  /** What one pack is called in the supplier's words ("bag", "bottle", "box of 6"). */
  packLabel: z.string().min(1).max(40).default('pack'),
  pricePerPack: money,
  /** Whole packs available now. */
  stockPacks: z.int().min(0).max(1_000_000),
});
export type Offer = z.output<typeof offer>;
export type OfferInput = z.input<typeof offer>;

/** A supplier's answer to a quote request: what it can supply (all or part, claims 11-12), how, until when. */
export const supplierQuote = z.strictObject({
  supplier: supplierRef,
  quoteId: z.string().min(1).max(64),
  offers: z.array(offer).max(2000),
  fulfilment: z.array(fulfilmentOption).min(1).max(20),
  payments: z.array(paymentMethod).min(1).max(PAYMENT_METHODS.length),
  /** After this instant the prices and stock are not promised; the coordinator re-checks at order time. */
  expiresAt: z.iso.datetime(),
});
export type SupplierQuote = z.output<typeof supplierQuote>;
export type SupplierQuoteInput = z.input<typeof supplierQuote>;

/** The single criteria a shopper may rank (claims 15-16, 31-32). */
export const PRIORITY_KINDS = ['cheapest', 'fewest_suppliers', 'fastest', 'pickup_at_shop', 'preferred_supplier'] as const;
export type PriorityKind = (typeof PRIORITY_KINDS)[number];

/**
 * The shopper's priorities, most important first. The plan is lexicographic:
 * optimise the first, keep it at its optimum while optimising the second, and
 * so on; "cheapest" is always the last tie-break even when not listed, so a
 * plan never pays more than it must for what the others fixed.
 */
export const priorities = z
  .strictObject({
    order: z.array(z.enum(PRIORITY_KINDS)).min(1).max(PRIORITY_KINDS.length),
    /** For "pickup_at_shop": the supplier and shop. */
    pickupShop: z.strictObject({ supplier: supplierId, shop: shop.shape.id }).optional(),
    /** For "preferred_supplier". */
    preferredSupplier: supplierId.optional(),
    /** Only suppliers that accept this payment method (a filter, not a priority). */
    payment: paymentMethod.optional(),
    /** Only these fulfilment methods (a filter). */
    methods: z
      .array(z.enum(['delivery', 'pickup']))
      .min(1)
      .max(2)
      .optional(),
  })
  .refine((p) => new Set(p.order).size === p.order.length, { message: 'each priority at most once', path: ['order'] })
  .refine((p) => !p.order.includes('pickup_at_shop') || p.pickupShop !== undefined, { message: '"pickup_at_shop" needs pickupShop', path: ['pickupShop'] })
  .refine((p) => !p.order.includes('preferred_supplier') || p.preferredSupplier !== undefined, {
    message: '"preferred_supplier" needs preferredSupplier',
    path: ['preferredSupplier'],
  });
export type Priorities = z.output<typeof priorities>;

/** One product line of a supplier's part of the plan. */
export interface PlanLine {
  /** The requested component this line covers. */
  component: string;
  offerId: string;
  product: string;
  alternative?: string;
  packs: number;
  packSize: Amount;
  packLabel: string;
  pricePerPack: CoordMoney;
  /** packs x pricePerPack. */
  amount: CoordMoney;
  /** What the packs hold, in the supplier's unit (packs x packSize). */
  supplied: Amount;
  /** The part of the requested quantity this line covers, in the requested unit. */
  covers: Amount;
  /** What is bought beyond the need, in the requested unit (0 when exact). */
  leftover: Amount;
  /** "300 g flour -> 1 x 1 kg bag (700 g left over)". */
  display: string;
  /**
   * The cheapest other supplier for the whole of this component, goods only
   * (its fee comes on top if it is not otherwise used): what the alternative
   * costs. Absent when no other supplier alone can cover it.
   */
  nextBest?: { supplier: SupplierRef; goods: CoordMoney };
}

/** One supplier's part of the plan: one order at order time. */
export interface SupplierPlan {
  supplier: SupplierRef;
  quoteId: string;
  fulfilment: FulfilmentOption;
  payments: PaymentMethod[];
  lines: PlanLine[];
  goods: CoordMoney;
  fee: CoordMoney;
  total: CoordMoney;
  /** Why this supplier is in the plan (one sentence). */
  why: string;
}

/** A component the plan does not cover in full, with the missing quantity in the requested unit. */
export interface Uncovered {
  component: string;
  missing: Amount;
  /**
   * Why, as a code: no quote offers it at all; it is offered but no offer is
   * usable (a unit that does not convert, another currency); all stock
   * together is short; or it is left unbought.
   */
  why: 'not_offered' | 'not_usable' | 'short' | 'not_bought';
  reason: string;
}

/** Another way to buy, priced, for the explanation ("without grocer: +1.40 EUR"). */
export interface PlanAlternative {
  label: string;
  /** null when that way cannot cover what the plan covers. */
  total: CoordMoney | null;
  suppliers: number;
  readyInMinutes: number | null;
}

/** A quote or offer the planner could not use, and why (expired, other currency, unit it cannot convert). */
export interface Excluded {
  supplier: string;
  /** The supplier's display name (what a shopper is shown; `supplier` is its id). */
  name?: string;
  offerId?: string;
  /** For an offer: its product and the requested component it was for. */
  product?: string;
  component?: string;
  reason: string;
}

export interface Plan {
  currency: string;
  priorities: Priorities;
  suppliers: SupplierPlan[];
  totals: { goods: CoordMoney; fees: CoordMoney; total: CoordMoney; suppliers: number; readyInMinutes: number | null };
  uncovered: Uncovered[];
  alternatives: PlanAlternative[];
  excluded: Excluded[];
  /** The objective value reached for each priority, in the order applied (for the explanation and tests). */
  objectives: { kind: PriorityKind; value: number }[];
  /** False only when the solver hit its iteration limit: the plan is feasible but not proven optimal (never seen at the sizes benched). */
  optimal: boolean;
}
