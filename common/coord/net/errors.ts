import { defineErrors } from '../../errors.js';

/** Every code a component supplier answers with (over s2s and in its console). */
export const supplyErrors = defineErrors('coord-supply', {
  not_a_supplier: { status: 409, message: 'this site has no supply profile: it does not supply components' },
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another order' },
  unknown_product: { status: 409 },
  price_changed: { status: 409 },
  order_not_found: { status: 404 },
  already_decided: { status: 409 },
  invalid_profile: { status: 400 },
  invalid_decision: { status: 400 },
});
