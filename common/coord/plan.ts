import type { Plan, PlanRequest, Priorities, RefusalContext, SupplierQuote } from './types.js';

export interface PlanOptions {
  /** The instant quotes are judged against (expired quotes are left out). Default: now. */
  now?: Date;
  /** Price the alternatives for the explanation (one extra solve per supplier used). Default true. */
  alternatives?: boolean;
}

/**
 * The optimal purchase plan for the picked components over whole packs, by the
 * shopper's priorities (lexicographic, cheapest last). See docs/coordination-plan.md.
 */
export function planPurchase(request: PlanRequest, quotes: SupplierQuote[], priorities: Priorities, options: PlanOptions = {}): Plan {
  void request;
  void quotes;
  void priorities;
  void options;
  throw new Error('planPurchase: not implemented yet');
}

/**
 * After a refusal (or a timeout), a plan for only what the refused supplier's
 * lines covered, from the other suppliers, with the stock the previous plan
 * already takes from them subtracted.
 */
export function replanMissing(request: PlanRequest, quotes: SupplierQuote[], refusal: RefusalContext, options: PlanOptions = {}): Plan {
  void request;
  void quotes;
  void refusal;
  void options;
  throw new Error('replanMissing: not implemented yet');
}
