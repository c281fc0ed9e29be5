import { defineErrors } from '../../common/errors.js';

/** Every code the main site's logs answer with: shipments it witnesses (docs/logs.md) and bundle exports. */
export const logsErrors = defineErrors('logs', {
  invalid_request: { status: 400 },
  not_a_partner: { status: 403 },
  site_not_found: { status: 404 },
  batch_too_large: { status: 400 },
  bad_checkpoint: { status: 400 },
  bad_checkpoint_signature: { status: 400 },
  checkpoint_mismatch: { status: 400 },
  time_regression: { status: 400 },
  bad_entry: { status: 400 },
  size_mismatch: { status: 409 },
  fork: { status: 409 },
});
