import { defineErrors } from '../../common/errors.js';

/** The main site's own shop codes: forwarded orders and consultations, the console; shared ones are in common/shop/errors.ts. */
export const mainShopErrors = defineErrors('shop', {
  invalid_request: { status: 400 },
  not_a_partner: { status: 403 },
  unknown_product: { status: 400 },
  invalid_order: { status: 400 },
  unknown_user: { status: 400 },
  invalid_consultation: { status: 400 },
  idempotency_key_closed: { status: 409 },
});
