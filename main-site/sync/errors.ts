import { defineErrors } from '../../common/errors.js';

/** Every code the main site's sync answers with: publishing, pushes, partners' reports, webhooks. */
export const syncErrors = defineErrors('sync', {
  invalid_request: { status: 400 },
  not_a_partner: { status: 403 },
  partner_not_found: { status: 404 },
  release_not_found: { status: 404 },
  webhook_not_found: { status: 404 },
  invalid_content: { status: 400 },
  render_failed: { status: 422 },
  path_collision: { status: 409 },
});
