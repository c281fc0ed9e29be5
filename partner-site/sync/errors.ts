import { defineErrors } from '../../common/errors.js';

/** Every code the partner's sync answers with: receiving pushes (the manifest's own codes too), approvals, rollback, emergency edits. */
export const syncErrors = defineErrors('sync', {
  invalid_request: { status: 400 },
  not_main_site: { status: 403 },
  // Receiving a release.
  release_conflict: { status: 409 },
  base_unknown: { status: 409 },
  invalid_manifest: { status: 400 },
  too_many_entries: { status: 400 },
  bad_path: { status: 400 },
  too_large: { status: 400 },
  root_mismatch: { status: 400 },
  not_receiving: { status: 409 },
  bad_frames: { status: 400 },
  unexpected_blob: { status: 400 },
  size_mismatch: { status: 400 },
  hash_mismatch: { status: 400 },
  blobs_missing: { status: 409 },
  render_failed: { status: 422 },
  // The manager's decisions.
  release_not_found: { status: 404 },
  // 409 when approving or rejecting; 404 when reading a release that is not pending (GET /manage/api/pending/<n>).
  release_not_pending: { status: 409, also: [404] },
  already_active: { status: 409 },
  not_rollback_target: { status: 409 },
  no_emergency_right: { status: 403 },
  not_a_tieup_file: { status: 404 },
});
