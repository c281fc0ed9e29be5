import { defineErrors } from '../../common/errors.js';

/** The partner's account codes (accounts live at the main site); shared login codes are in common/users/errors.ts. */
export const partnerUserErrors = defineErrors('users', {
  // Written for the shopper: shown although a 5xx.
  main_unreachable: { status: 503, expose: true },
});
