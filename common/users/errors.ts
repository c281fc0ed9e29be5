import { defineErrors } from '../errors.js';

/** The account codes both kinds of site answer with (logins); each site's users module adds its own. */
export const accountErrors = defineErrors('users', {
  too_many_attempts: { status: 429 },
  invalid_credentials: { status: 401 },
});
