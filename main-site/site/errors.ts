import { defineErrors } from '../../common/errors.js';

/** The partners console and API (enrolment itself answers with the ground floor's codes). */
export const siteErrors = defineErrors('site', {
  partner_not_found: { status: 404 },
});
