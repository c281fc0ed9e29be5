import { defineErrors } from '../../common/errors.js';

/** The partner's paid-content codes (the main site's refusals reach the shopper with their own codes). */
export const partnerPaidErrors = defineErrors('paid', {
  // Written for the shopper: shown although a 5xx.
  main_unreachable: { status: 503, expose: true, message: 'paid content is unavailable right now; please try again in a minute' },
  item_not_found: { status: 404 },
  not_subscribed: { status: 404, message: 'you have no subscription to this item here' },
});
