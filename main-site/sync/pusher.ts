import { encodeBlobFrames } from '../../common/release/blob-frames.js';
import { manifestDelta } from '../../common/release/diff.js';
import { MAX_DAMAGED_LISTED, SYNC_BLOBS, SYNC_COMMIT, SYNC_OFFER, SYNC_STATUS, type AnyEndpoint, type RequestInput, type ResponseOutput } from '../../common/protocol/index.js';
import { S2SCallError, peerErrorCode, type SendArgs } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { PartnerReleaseFilter } from '../../common/release/manifest.js';
import type { ReleaseStore } from './release-store.js';
import type { MainSyncStore } from './sync-store.js';
import { activeFreeze } from './contract.js';
import { readSyncTerms, syncTermsSlice } from '../../common/sync/terms.js';
import { pathCollisions, releaseFor } from './publisher.js';
import { notify } from './webhooks.js';

export type PushTrigger = 'schedule' | 'manual' | 'retry' | 'repair';

export interface PushRequest {
  partnerId: string;
  trigger: PushTrigger;
  overrideFreeze?: boolean;
  /** Re-send whatever the partner's files lack, even if it already holds the release. */
  repair?: boolean;
  attempt?: number;
}

export interface PushOutcome {
  partner: string;
  release: number | null;
  outcome: 'active' | 'pending' | 'noop' | 'frozen' | 'skipped' | 'failed' | 'superseded';
  detail: string;
  blobsSent: number;
  /** Body bytes both ways, without HTTP headers. */
  bytesSent: number;
  bytesReceived: number;
  deliveryId: number;
}

export interface PusherDeps {
  ctx: SiteContext;
  releases: ReleaseStore;
  sync: MainSyncStore;
  /** The modules' partner release filters (ModuleHost.partnerReleaseFilters), read at each push. */
  partnerFilters?: () => readonly PartnerReleaseFilter[];
}

/** What a partner says it serves: its status, commit and rollback answers, and its own decisions and reports. */
export type ServingReport = Partial<Pick<ResponseOutput<typeof SYNC_STATUS>, 'activeRelease' | 'servingRoot' | 'emergencyEdits' | 'originalPaths' | 'damaged'>>;

/**
 * One push to one partner, every step recorded: offer the manifest (as a
 * difference from the release the partner holds), send only the blobs it lacks
 * in bounded batches, commit. Throws S2SCallError on any failure so the queue
 * can retry; every outcome, good or bad, lands in the delivery log.
 */
export async function pushOnce(d: PusherDeps, req: PushRequest): Promise<PushOutcome> {
  const { ctx, releases, sync } = d;
  const peer = ctx.peers.get(req.partnerId);
  const latest = releases.latest();
  let overriding = false;
  let deliveryId = 0;
  let blobsSent = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  const startedAt = new Date().toISOString();
  const done = (outcome: PushOutcome['outcome'], detail: string, release: number | null = latest?.number ?? null): PushOutcome => {
    if (deliveryId) {
      sync.finishDelivery(deliveryId, outcome, detail, blobsSent, bytesSent + bytesReceived, release);
    } else if (!quietSkip(d, req, outcome, detail)) {
      // Decided without contacting the partner: one complete row.
      deliveryId = sync.startDelivery(req.partnerId, release, req.attempt ?? 1, req.trigger, overriding, startedAt);
      sync.finishDelivery(deliveryId, outcome, detail, 0, 0, release);
    }
    if (outcome !== 'noop' && outcome !== 'frozen' && outcome !== 'skipped') {
      sync.update(req.partnerId, { lastPushAt: new Date().toISOString(), lastPushOutcome: outcome, lastPushDetail: detail });
    }
    return { partner: req.partnerId, release, outcome, detail, blobsSent, bytesSent, bytesReceived, deliveryId };
  };

  if (!peer || peer.role !== 'partner') return done('skipped', 'not an enrolled partner');
  if (peer.status !== 'active') return done('skipped', `partner is ${peer.status}`);
  // The terms are read strictly: unreadable terms stop the push (never a guess at defaults), absent ones mean no sync.
  const read = readSyncTerms(peer.contract);
  const sent = ctx.terms.toSend(peer.contract);
  if (!read.ok || !sent.ok) {
    const problems = [...(read.ok ? [] : [read.problem]), ...(sent.ok ? [] : sent.problems)];
    const detail = `contract_invalid: the stored contract cannot be read (${[...new Set(problems)].join('; ')}); nothing is pushed until an operator writes the terms again`;
    const quiet = quietSkip(d, req, 'failed', detail);
    const out = done('failed', detail);
    if (!quiet) {
      sync.update(peer.id, { failing: true });
      ctx.logger.error({ event: 'push_refused_contract_invalid', partner: peer.id, problems }, `push to ${peer.id} refused: its contract cannot be read`);
      notify(ctx, sync, 'push_failed', peer.id, null, detail);
    }
    return out;
  }
  if (read.terms === null) return done('skipped', `the contract has no sync terms: ${syncTermsSlice.whenAbsent}`);
  const terms = read.terms;
  const freeze = activeFreeze(terms);
  overriding = !!freeze && !!req.overrideFreeze;
  if (freeze && !req.overrideFreeze) return done('frozen', `freeze window in force (${freeze}); the push waits`);
  if (overriding) ctx.logger.warn({ event: 'freeze_overridden', partner: peer.id, freeze, trigger: req.trigger }, 'manual push overrides a freeze window');
  if (!latest) return done('noop', 'nothing published yet', null);
  if (terms.partnershipType === 'link') return done('noop', 'link partnership: no pages are pushed');

  const state = sync.get(peer.id);
  if (state.stagedState === 'rejected' && state.stagedRelease === latest.number && !req.repair) {
    return done('skipped', `release ${latest.number} was rejected by the partner (${state.rejectReason ?? 'no reason'}); a later release will supersede it`);
  }
  if (state.heldRelease === latest.number && !req.repair && !state.drift) return done('noop', `partner already holds release ${latest.number}`);

  const target = releaseFor(d, latest, terms.partnershipType, peer.id);
  // The partner's own pages hold back only this partner's push, until the main page or the partner's page is renamed.
  let clash = pathCollisions(state.originalPaths, target.manifest);
  if (clash.length) {
    // What is stored may be stale (the partner may have renamed its page since): ask once before holding the push back.
    try {
      await checkDrift(d, peer.id);
      clash = pathCollisions(sync.get(peer.id).originalPaths, target.manifest);
    } catch {
      // Unreachable or refused: decide on what was stored; the push would fail anyway.
    }
  }
  if (clash.length) {
    const detail = `path_collision: release ${latest.number} has tie-up page(s) at ${clash.join(', ')}, which ${peer.id} uses for its own page(s); nothing is pushed to ${peer.id} until one side renames the page`;
    const quiet = quietSkip(d, req, 'failed', detail);
    const out = done('failed', detail);
    if (!quiet) {
      sync.update(peer.id, { failing: true });
      ctx.logger.warn({ event: 'push_refused_path_collision', partner: peer.id, release: latest.number, paths: clash }, `push to ${peer.id} refused: its own pages use ${clash.join(', ')}`);
      notify(ctx, sync, 'push_failed', peer.id, latest.number, detail);
    }
    return out;
  }
  deliveryId = sync.startDelivery(req.partnerId, latest.number, req.attempt ?? 1, req.trigger, overriding, startedAt);
  const call = async <E extends AnyEndpoint>(endpoint: E, body: RequestInput<E>, ...rest: SendArgs<E>): Promise<ResponseOutput<E>> => {
    const r = await ctx.client.send(peer.id, endpoint, body, ...rest);
    bytesSent += r.requestBytes;
    bytesReceived += r.responseBytes;
    return r.body;
  };

  try {
    const offerBase = {
      release: latest.number,
      root: target.root,
      note: latest.note,
      requiresApproval: terms.requiresApproval,
      // Every slice of the partner's contract, exactly as stored here; the partner checks and stores them as they are.
      contract: sent.contract,
      ...(req.repair ? { repair: true as const } : {}),
    };
    const base = state.heldRelease !== null && state.heldRelease !== latest.number ? releases.get(state.heldRelease) : undefined;
    let offer: ResponseOutput<typeof SYNC_OFFER>;
    if (base) {
      const baseView = releaseFor(d, base, terms.partnershipType, peer.id);
      try {
        offer = await call(SYNC_OFFER, { ...offerBase, base: base.number, baseRoot: baseView.root, delta: manifestDelta(baseView.manifest, target.manifest) });
      } catch (err) {
        if (peerErrorCode(err, SYNC_OFFER) !== 'base_unknown') throw err;
        offer = await call(SYNC_OFFER, { ...offerBase, manifest: target.manifest });
      }
    } else {
      offer = await call(SYNC_OFFER, { ...offerBase, manifest: target.manifest });
    }

    const need = [...new Set(offer.need)];
    const known = new Set(target.manifest.map((e) => e.sha256));
    let batch: { sha256: string; data: Buffer }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (!batch.length) return;
      await call(SYNC_BLOBS, encodeBlobFrames(batch), { release: latest.number });
      blobsSent += batch.length;
      batch = [];
      batchBytes = 0;
    };
    for (const sha of need) {
      if (!known.has(sha)) throw new Error(`the partner asked for ${sha}, which is not in release ${latest.number}`);
      const data = releases.blob(sha);
      if (!data) throw new Error(`blob ${sha} of release ${latest.number} is missing from the main site's store`);
      if (batchBytes + data.length > ctx.config.pushBatchBytes) await flush();
      batch.push({ sha256: sha, data });
      batchBytes += data.length;
    }
    await flush();

    const commit = await call(SYNC_COMMIT, { release: latest.number, ...(req.repair ? { repair: true as const } : {}) });
    const st = commit.state;
    const patch = {
      activeRelease: commit.activeRelease,
      activeRoot: commit.activeRoot,
      originalPaths: commit.originalPaths,
      consecutiveFailures: 0,
      failing: false,
      nextRetryAt: null,
    };
    if (st === 'active' || st === 'pending' || st === 'previous') {
      sync.update(peer.id, {
        ...patch,
        heldRelease: latest.number,
        stagedRelease: st === 'pending' ? latest.number : null,
        stagedState: st === 'pending' ? 'pending' : null,
        rejectReason: null,
        // Serving the latest release again ends a rollback; a staged one leaves it standing.
        ...(st === 'active' ? NOT_ROLLED_BACK : {}),
      });
    } else {
      sync.update(peer.id, patch);
    }
    if (commit.servingRoot !== undefined) recordServing(d, peer.id, commit);
    const what = `${need.length} of ${new Set(target.manifest.map((e) => e.sha256)).size} blobs sent`;
    if (st === 'pending') return done('pending', `release ${latest.number} staged; waits for the partner's approval (${what})`);
    if (st === 'active') return done('active', `release ${latest.number} served${offer.alreadyHeld && !req.repair ? ' (already held)' : ''} (${what})`);
    if (st === 'rejected') {
      sync.update(peer.id, { stagedRelease: latest.number, stagedState: 'rejected' });
      return done('skipped', `release ${latest.number} was rejected by the partner`);
    }
    return done('superseded', `partner answered ${st}`);
  } catch (err) {
    const msg = err instanceof S2SCallError ? `${err.code}${err.details?.peerCode ? ` (${String(err.details.peerCode)})` : ''}: ${err.message}` : (err as Error).message;
    done('failed', msg);
    throw err instanceof S2SCallError ? err : new S2SCallError('peer_error', msg);
  }
}

/**
 * A scheduled push that finds nothing to do is not an attempt and is not
 * logged (the schedule may fire every few seconds); a freeze is logged once
 * when it starts holding pushes back, not at every tick.
 */
function quietSkip(d: PusherDeps, req: PushRequest, outcome: PushOutcome['outcome'], detail: string): boolean {
  if (req.trigger !== 'schedule') return false;
  if (outcome === 'noop' || outcome === 'skipped') return true;
  if (outcome === 'frozen') return d.sync.deliveries(req.partnerId, 1)[0]?.outcome === 'frozen';
  // An unreadable contract or a path collision is reported once, not at every tick, until it changes.
  if (outcome === 'failed' && (detail.startsWith('contract_invalid') || detail.startsWith('path_collision'))) {
    const last = d.sync.deliveries(req.partnerId, 1)[0];
    return last?.outcome === 'failed' && last.detail === detail;
  }
  return false;
}

/** No rollback stands (the partner serves a release the main site pushed or it approved). */
export const NOT_ROLLED_BACK = { rolledBackTo: null, rolledBackAt: null, rolledBackBy: null } as const;

/**
 * The rollback fields after a partner went back to `release`: recorded while a
 * newer release exists that it no longer serves, cleared otherwise (a roll
 * forward to the latest is no rollback).
 */
export function rolledBack(d: Pick<PusherDeps, 'releases'>, release: number | null, by: string) {
  const latest = d.releases.latest()?.number ?? null;
  if (release === null || latest === null || release >= latest) return NOT_ROLLED_BACK;
  return { rolledBackTo: release, rolledBackAt: new Date().toISOString(), rolledBackBy: by };
}

/** Compares what the partner really serves with the release it acknowledged; drift raises a notification once. */
export function recordServing(d: PusherDeps, partnerId: string, s: ServingReport): void {
  const prev = d.sync.get(partnerId);
  const now = new Date().toISOString();
  const acked = s.activeRelease != null ? d.releases.get(s.activeRelease) : undefined;
  const peer = d.ctx.peers.get(partnerId);
  // Without readable sync terms there is no telling which view of the release it should serve: no drift judgement.
  const t = peer ? readSyncTerms(peer.contract) : undefined;
  const expected = acked && t?.ok && t.terms ? releaseFor(d, acked, t.terms.partnershipType, partnerId).root : null;
  const edits = s.emergencyEdits ?? 0;
  // Files the partner finds damaged on its own disk are drift whatever else it reports (even beside emergency edits).
  const damaged = s.damaged ?? [];
  const rootDrift = expected !== null && s.servingRoot != null && s.servingRoot !== expected && edits === 0;
  const drift = rootDrift || damaged.length > 0;
  const why = [
    ...(rootDrift ? [`serving root ${String(s.servingRoot).slice(0, 12)}… differs from release ${s.activeRelease} (${expected.slice(0, 12)}…)`] : []),
    ...(damaged.length
      ? [
          `${damaged.length === MAX_DAMAGED_LISTED ? 'at least ' : ''}${damaged.length} stored file(s) fail their hash on the partner: ${damaged.slice(0, 10).join(', ')}${damaged.length > 10 ? ', …' : ''}`,
        ]
      : []),
  ];
  const detail = drift ? why.join('; ') : null;
  // Nothing but a rollback moves a partner's pointer back: one its report never told (a status check finds it) is recorded too.
  const wentBack = s.activeRelease != null && prev.activeRelease !== null && s.activeRelease < prev.activeRelease && prev.rolledBackTo !== s.activeRelease;
  d.sync.update(partnerId, {
    ...(wentBack ? rolledBack(d, s.activeRelease ?? null, 'the partner (found by a status check)') : {}),
    servingRoot: s.servingRoot ?? null,
    servingCheckedAt: now,
    drift,
    driftDetail: detail,
    activeRelease: s.activeRelease ?? prev.activeRelease,
    ...(s.originalPaths ? { originalPaths: s.originalPaths } : {}),
    ...(edits > 0 ? {} : { emergencyEditAt: null }),
  });
  if (drift && !prev.drift) {
    d.sync.addEvent(partnerId, 'drift', s.activeRelease ?? null, detail);
    notify(d.ctx, d.sync, 'drift_detected', partnerId, s.activeRelease ?? null, detail!);
  } else if (!drift && prev.drift) {
    d.sync.addEvent(partnerId, 'drift_cleared', s.activeRelease ?? null, 'serving files match the release again');
  }
}

/** Asks a partner what it really serves (files re-hashed from disk). */
export async function checkDrift(d: PusherDeps, partnerId: string): Promise<void> {
  const r = await d.ctx.client.send(partnerId, SYNC_STATUS, {});
  recordServing(d, partnerId, r.body);
}
