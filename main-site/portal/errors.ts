import { defineErrors } from '../../common/errors.js';

/** Every code the party portal and the console's parties pages answer with. */
export const portalErrors = defineErrors('portal', {
  invalid_party: { status: 400 },
  party_not_found: { status: 404 },
  party_exists: { status: 409 },
  party_not_invited: { status: 409 },
  invalid_section: { status: 400 },
});
