import { defineErrors } from '../../common/errors.js';
import { SUPPLY_ERRORS } from '../../common/coord/net/index.js';

/** Every code the coordinator answers with: shopper pages, the operator's console API, and suppliers' decisions over s2s. */
export const coordErrors = defineErrors('coord', {
  // The central stock answers like any supplier, with the suppliers' codes.
  ...SUPPLY_ERRORS,
  invalid_request: { status: 400 },
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another order' },
  quote_not_found: { status: 404, message: 'no such quote: ask the suppliers again' },
  quote_changed: { status: 409, message: 'a supplier changed its offer since the plan was shown: see the new plan' },
  total_changed: { status: 409, message: 'the hand-over chosen changes the total from the one shown: see the new total; nothing was ordered' },
  nothing_to_order: { status: 409, message: 'the plan covers none of the components' },
  no_suppliers: { status: 409, message: 'no component supplier is enrolled' },
  no_settlement_agent: { status: 409, message: 'electronic payment needs a settlement agent, and none is enrolled' },
  no_delivery_service: { status: 409, message: 'delivery needs a delivery service, and none is enrolled' },
  group_not_found: { status: 404 },
  nothing_missing: { status: 409, message: 'every order of this group is accepted or still waiting: there is nothing to re-plan' },
  too_late: { status: 409, message: 'the time to answer this order has passed; it was withdrawn' },
  party_not_found: { status: 404 },
  payment_declined: { status: 402 },
  handoff_invalid: { status: 400 },
  handoff_expired: { status: 400, message: 'This link has expired: open "Get the components" on the how-to page again.' },
});
