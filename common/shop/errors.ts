import { defineErrors } from '../errors.js';

/** The shop's codes both kinds of site answer with (checkout, order states, stock); each site's shop adds its own. */
export const shopErrors = defineErrors('shop', {
  out_of_stock: { status: 409 },
  invalid_state: { status: 400 },
  invalid_product: { status: 400 },
  invalid_stock: { status: 400 },
  order_not_found: { status: 404 },
  invalid_transition: { status: 409 },
  order_changed: { status: 409 },
  idempotency_key_reused: { status: 409 },
  total_changed: { status: 409 },
  invalid_move_detail: { status: 400 },
});
