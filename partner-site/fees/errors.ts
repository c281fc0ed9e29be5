import { defineErrors } from '../../common/errors.js';

/** The partner's own fee statement (read from the main site). */
export const feesErrors = defineErrors('fees', {
  invalid_request: { status: 400 },
  main_not_enrolled: { status: 404 },
});
