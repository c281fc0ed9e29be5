import { defineErrors } from '../../../common/errors.js';

/** Every code the sales reports answer with (console API, portal, CLI). */
export const reportErrors = defineErrors('paid-reports', {
  invalid_cycle: { status: 400, message: 'the cycle is daily, weekly or monthly' },
  invalid_period: { status: 400 },
  invalid_cycle_choice: { status: 400, message: 'choose at least one of daily, weekly and monthly' },
  report_item_not_found: { status: 404, message: 'there is no such item among your items' },
});
