import { defineErrors } from '../../../common/errors.js';

/** Every code planned shares answer with (service, console API, portal, CLI). */
export const sharesErrors = defineErrors('planned-shares', {
  invalid_terms: { status: 400 },
  invalid_sale: { status: 400 },
  invalid_refund: { status: 400 },
  invalid_acceptance: { status: 400 },
  invalid_time: { status: 400 },
  not_a_planner: { status: 404, message: 'there is no planner with that id' },
  contract_backdated: { status: 409 },
  currency_change: { status: 409 },
  no_contract: { status: 409 },
  unknown_site: { status: 400 },
  currency_mismatch: { status: 409 },
  sale_conflict: { status: 409, message: 'a different sale was recorded under this sale id' },
  refund_conflict: { status: 409, message: 'a different refund was recorded under this refund id' },
  sale_not_found: { status: 404, message: 'there is no such sale' },
  refund_exceeds_sale: { status: 409 },
  period_closed: { status: 409 },
  statement_not_found: { status: 404, message: 'there is no such statement among yours' },
  invalid_period: { status: 400 },
});
