import { defineErrors } from '../../common/errors.js';

/** The partner's own shop codes; shared ones are in common/shop/errors.ts. */
export const partnerShopErrors = defineErrors('shop', {
  // Written for the shopper: shown although a 5xx.
  main_unreachable: { status: 503, expose: true },
  processed_by_main: { status: 409 },
  not_the_main_site: { status: 403 },
  attempt_closed: { status: 409 },
});
