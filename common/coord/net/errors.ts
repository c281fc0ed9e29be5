import { defineErrors } from '../../errors.js';

/**
 * Every code a component supplier answers with (over s2s and in its console).
 * The catalog is the coordination capability's ("coord"): the main site's
 * coordinator lists these codes in its own catalog (SUPPLY_ERRORS spread in),
 * since its central stock answers like any supplier.
 */
export const SUPPLY_ERRORS = {
  not_a_supplier: { status: 409, message: 'this site has no supply profile: it does not supply components' },
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another order' },
  unknown_product: { status: 400 },
  price_changed: { status: 409 },
  order_not_found: { status: 404 },
  already_decided: { status: 409 },
  invalid_profile: { status: 400 },
  invalid_decision: { status: 400 },
  page_not_found: { status: 404 },
} as const;

export const supplyErrors = defineErrors('coord', SUPPLY_ERRORS);
