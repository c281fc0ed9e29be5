import { defineErrors } from '../../common/errors.js';

/** The main site's account codes (registration, the user centre partners call); shared login codes are in common/users/errors.ts. */
export const mainUserErrors = defineErrors('users', {
  invalid_registration: { status: 400 },
  email_taken: { status: 409 },
  not_a_partner: { status: 403 },
  invalid_birth_date: { status: 400 },
  user_not_found: { status: 404 },
});
