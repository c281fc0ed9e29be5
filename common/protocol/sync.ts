import { z } from 'zod';
import { LIMITS } from '../release/manifest.js';
import { defineEndpoint } from './endpoint.js';
import { emptyRequest } from './peer.js';
import { MANIFEST_ERRORS, actor, count, manifest, manifestDelta, releaseNumber, releasePath, releaseState, sentContract, sha256Hex } from './primitives.js';

/**
 * Sync: the main site pushes releases to a partner (offer, blobs, commit),
 * asks what it serves (status) and commands rollbacks; the partner reports its
 * manager's decisions, rollbacks and emergency edits back.
 */

/** A partner's own pages are URL paths ("/", "/contact") taken from its file names. */
export const MAX_ORIGINAL_PATHS = 20_000;
export const originalPath = z
  .string()
  .max(512)
  .regex(/^\/[A-Za-z0-9/_-]*$/, 'an original page path is "/" followed by letters, digits, "/", "_" or "-"');

/** Where a partner stands; part of every answer to the main site's sync calls. */
const syncStatusShape = {
  activeRelease: releaseNumber.nullable(),
  activeRoot: sha256Hex.nullable(),
  pendingRelease: releaseNumber.nullable(),
  originalPaths: z.array(originalPath).max(MAX_ORIGINAL_PATHS),
};

/** A report names at most this many damaged files (the serving root covers the rest). */
export const MAX_DAMAGED_LISTED = 100;

/** What a partner really serves, re-hashed from storage (its ServingState). */
const servingStateShape = {
  activeRelease: releaseNumber.nullable(),
  expectedRoot: sha256Hex.nullable(),
  servingRoot: sha256Hex.nullable(),
  emergencyEdits: count.max(LIMITS.maxEntries),
  // Served files whose stored bytes no longer hash to their name. Optional: partners from before it was added do not send it.
  damaged: z.array(releasePath).max(MAX_DAMAGED_LISTED).optional(),
};

export const syncOfferRequest = z
  .strictObject({
    release: releaseNumber,
    root: sha256Hex,
    // The pusher always sends note, requiresApproval and contract; the receiver
    // has always accepted an offer without them (and the release-refusal tests
    // offer bare manifests), so they stay optional.
    note: z.string().max(2000).optional(),
    requiresApproval: z.boolean().optional(),
    contract: sentContract.optional(),
    repair: z.literal(true).optional(),
    manifest: manifest.optional(),
    base: releaseNumber.optional(),
    baseRoot: sha256Hex.optional(),
    delta: manifestDelta.optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.manifest === undefined) === (o.delta === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['manifest'], message: 'send either the whole manifest or a delta, exactly one of them' });
    } else if (o.delta !== undefined && (o.base === undefined || o.baseRoot === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'a delta needs the base release and its root' });
    } else if (o.delta === undefined && (o.base !== undefined || o.baseRoot !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'base and baseRoot go only with a delta' });
    }
  });

export const syncOfferAnswer = z.strictObject({
  need: z.array(sha256Hex).max(LIMITS.maxEntries),
  state: releaseState,
  alreadyHeld: z.literal(true).optional(),
  ...syncStatusShape,
});

export const SYNC_OFFER = defineEndpoint({
  name: 'sync.offer',
  method: 'POST',
  path: '/s2s/sync/offer',
  request: syncOfferRequest,
  response: syncOfferAnswer,
  errors: [...MANIFEST_ERRORS, 'release_conflict', 'base_unknown', 'root_mismatch'],
  callers: 'main',
});

/** Path numbers arrive as text: digits only, no sign, no leading zero, then a release number. */
const releaseParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'a release number is a positive integer')
  .transform(Number)
  .pipe(releaseNumber);

export const syncBlobsAnswer = z.strictObject({ stored: count.max(LIMITS.maxEntries) });

export const SYNC_BLOBS = defineEndpoint({
  name: 'sync.blobs',
  method: 'POST',
  path: '/s2s/sync/blobs/:release',
  params: z.strictObject({ release: releaseParam }),
  // Blob frames (common/release/blob-frames.ts); the body limit bounds a batch.
  request: 'binary',
  response: syncBlobsAnswer,
  errors: ['not_receiving', 'bad_frames', 'unexpected_blob', 'size_mismatch', 'hash_mismatch'],
  callers: 'main',
});

export const syncCommitRequest = z.strictObject({
  release: releaseNumber,
  repair: z.literal(true).optional(),
});

/** A superseded release is answered without the serving state; every other commit answer carries it. */
export const syncCommitAnswer = z.strictObject({
  state: releaseState,
  ...syncStatusShape,
  expectedRoot: servingStateShape.expectedRoot.optional(),
  servingRoot: servingStateShape.servingRoot.optional(),
  emergencyEdits: servingStateShape.emergencyEdits.optional(),
  damaged: servingStateShape.damaged,
});

export const SYNC_COMMIT = defineEndpoint({
  name: 'sync.commit',
  method: 'POST',
  path: '/s2s/sync/commit',
  request: syncCommitRequest,
  response: syncCommitAnswer,
  errors: ['not_receiving', 'blobs_missing', 'render_failed'],
  callers: 'main',
});

/** Status and rollback answers: where the partner stands and what it really serves. */
export const syncServingAnswer = z.strictObject({ ...servingStateShape, ...syncStatusShape });

export const SYNC_STATUS = defineEndpoint({
  name: 'sync.status',
  method: 'POST',
  path: '/s2s/sync/status',
  request: emptyRequest,
  response: syncServingAnswer,
  errors: [],
  callers: 'main',
});

export const syncRollbackRequest = z.strictObject({ release: releaseNumber, by: actor });

export const syncRollbackAnswer = z.strictObject({ state: z.literal('active'), ...servingStateShape, ...syncStatusShape });

export const SYNC_ROLLBACK = defineEndpoint({
  name: 'sync.rollback',
  method: 'POST',
  path: '/s2s/sync/rollback',
  request: syncRollbackRequest,
  response: syncRollbackAnswer,
  errors: ['release_not_found', 'not_rollback_target'],
  callers: 'main',
});

const rejectionReason = z.string().min(1).max(1000);

/** A manager's decision on a staged release, with what the partner serves now. */
export const syncDecisionRequest = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('approved'), release: releaseNumber, by: actor, ...servingStateShape }),
  z.strictObject({ decision: z.literal('rejected'), release: releaseNumber, reason: rejectionReason, by: actor, ...servingStateShape }),
]);

export const recordedAnswer = z.strictObject({ recorded: z.literal(true) });

export const SYNC_DECISION = defineEndpoint({
  name: 'sync.decision',
  method: 'POST',
  path: '/s2s/sync/decision',
  request: syncDecisionRequest,
  response: recordedAnswer,
  errors: [],
  callers: 'partner',
});

/**
 * What a partner did or found on its own: a rollback by its manager, an
 * emergency edit of one tie-up file, or stored files found damaged (at start or
 * when read), reported at once rather than at the next drift check.
 */
export const syncReportRequest = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('rollback'), release: releaseNumber, by: actor, ...servingStateShape }),
  z.strictObject({ event: z.literal('emergency_edit'), release: releaseNumber, path: releasePath, reason: rejectionReason, by: actor, ...servingStateShape }),
  z.strictObject({ event: z.literal('damaged'), release: releaseNumber, paths: z.array(releasePath).min(1).max(MAX_DAMAGED_LISTED), ...servingStateShape }),
]);

export const SYNC_REPORT = defineEndpoint({
  name: 'sync.report',
  method: 'POST',
  path: '/s2s/sync/report',
  request: syncReportRequest,
  response: recordedAnswer,
  errors: [],
  callers: 'partner',
});
