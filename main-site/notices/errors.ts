import { defineErrors } from '../../common/errors.js';

/** Every code the notice outbox answers with. */
export const noticesErrors = defineErrors('notices', {
  invalid_notice: { status: 400 },
  notice_not_found: { status: 404 },
});
