import { defineErrors } from '../../common/errors.js';

/** The partner's planned-page codes (the main site's refusals reach the shopper with their own codes). */
export const partnerPlannedErrors = defineErrors('planned', {
  // Written for the shopper: shown although a 5xx.
  main_unreachable: { status: 503, expose: true, message: 'planned pages cannot be bought right now; please try again in a minute' },
  page_not_found: { status: 404, message: 'there is no such planned page here' },
  contribution_not_found: { status: 404, message: 'there is no such contribution on this page' },
  not_for_sale: { status: 403, message: 'this page is not sold on this site; buy it at the main site' },
  order_not_found: { status: 404, message: 'there is no such order' },
});
