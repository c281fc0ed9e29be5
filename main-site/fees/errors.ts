import { defineErrors } from '../../common/errors.js';

/** Every code the main site's fees answer with: contracts, statements, closing periods. */
export const feesErrors = defineErrors('fees', {
  invalid_request: { status: 400 },
  not_a_partner: { status: 403 },
  partner_not_found: { status: 404 },
  no_fee_contract: { status: 404 },
  invalid_fee_contract: { status: 400 },
});
