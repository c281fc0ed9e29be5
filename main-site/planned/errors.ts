import { defineErrors } from '../../common/errors.js';

/** Every code the main site's planned pages answer with (portal, shopper pages, console, s2s). */
export const plannedErrors = defineErrors('planned', {
  invalid_input: { status: 400 },
  application_pending: { status: 409, message: 'an application from this e-mail address is already waiting for a decision' },
  slug_taken: { status: 409, message: 'this home page name is taken; choose another' },
  application_not_found: { status: 404, message: 'there is no such application' },
  application_decided: { status: 409, message: 'this application was already decided' },
  planner_not_found: { status: 404, message: 'there is no such planner' },
  page_not_found: { status: 404, message: 'there is no such planned page' },
  page_not_open: { status: 409, message: 'this page is not open' },
  page_not_draft: { status: 409, message: 'only a draft page is edited with the assistant; an open page keeps what buyers saw' },
  no_contract: { status: 409, message: 'the planner has no contract in force; the operator sets one in the console' },
  terms_not_accepted: { status: 403, message: 'accept the contributor terms of this page first' },
  contribution_not_found: { status: 404, message: 'there is no such contribution' },
  contribution_decided: { status: 409, message: 'this contribution was already accepted or rejected' },
  file_refused: { status: 400 },
  not_for_sale: { status: 403, message: 'this page is not sold on this site' },
  price_changed: { status: 409, message: 'the price of this item changed; nothing was ordered' },
  planner_mismatch: { status: 400, message: 'the order names another planner than the page' },
  user_unknown: { status: 404, message: 'there is no such shopper at the main site' },
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another order' },
  order_not_found: { status: 404, message: 'there is no such order' },
  order_refunded: { status: 410, message: 'this order was refunded; its content is no longer delivered' },
  format_not_offered: { status: 400, message: 'this page is not delivered in that format' },
  party_not_found: { status: 404, message: 'there is no such party' },
});
