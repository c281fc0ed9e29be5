import { defineErrors } from '../../common/errors.js';

/** The partner's "main site" console API (enrolment itself answers with the ground floor's codes). */
export const siteErrors = defineErrors('site', {
  main_not_enrolled: { status: 404 },
  main_exists: { status: 409 },
});
