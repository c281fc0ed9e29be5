import type express from 'express';
import { AppError } from '../../common/errors.js';
import { applyDelta } from '../../common/release/diff.js';
import { decodeBlobFrames } from '../../common/release/blob-frames.js';
import { ManifestError, manifestRoot, validateManifest, type Manifest } from '../../common/release/manifest.js';
import { ContentView } from '../../common/render/content-view.js';
import { SYNC_BLOBS, SYNC_COMMIT, SYNC_OFFER, SYNC_ROLLBACK, SYNC_STATUS, type RequestOutput } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { SiteContext } from '../../common/site/context.js';
import type { StoredContract } from '../../common/contract/terms.js';
import type { SyncStore } from './sync-store.js';
import type { BlobStore } from './blob-store.js';
import type { PartnerContent } from './partner-content.js';
import { syncErrors } from './errors.js';

export interface PartnerSync {
  ctx: SiteContext;
  store: SyncStore;
  blobs: BlobStore;
  content: PartnerContent;
}

/** What every sync answer carries: where this partner stands. */
export function syncStatus(p: PartnerSync) {
  const pending = p.store.withState('pending')[0];
  const active = p.store.activeNumber();
  return {
    activeRelease: active,
    activeRoot: active === null ? null : (p.store.get(active)?.root ?? null),
    pendingRelease: pending?.number ?? null,
    originalPaths: p.content.current().originalPaths(),
  };
}

/**
 * Activation: one transaction in the database, then one assignment in memory. Keeps the last N releases.
 * Without a view built for it, the release's view is built first, in slices (serving goes on meanwhile):
 * the switch itself stays one step. A view built while something else changed what is served is not used.
 */
export async function activateRelease(p: PartnerSync, number: number, event: string, detail: string | null = null, view?: ContentView): Promise<void> {
  if (!view) {
    const gen = p.content.generation();
    const built = await p.content.buildSliced(number, true);
    if (p.content.generation() === gen) view = built;
  }
  p.store.activate(number);
  if (view) p.content.install(view);
  else p.content.refresh();
  p.store.log(event, number, detail);
  p.ctx.logger.info({ event: 'release_activated', release: number, reason: event }, `release ${number} is now served`);
  prune(p);
}

function prune(p: PartnerSync): void {
  const keep = p.ctx.config.keepReleases;
  const all = p.store.list();
  const kept = all.filter((r) => r.state === 'active' || r.state === 'pending' || r.state === 'receiving');
  const previous = all.filter((r) => r.state === 'previous').slice(0, Math.max(0, keep - 1));
  const keepSet = new Set([...kept, ...previous].map((r) => r.number));
  for (const r of all) if (!keepSet.has(r.number)) p.store.deleteRelease(r.number);
  const hashes = new Set<string>();
  for (const r of p.store.list()) for (const e of r.manifest) hashes.add(e.sha256);
  for (const e of p.store.emergencyEdits()) hashes.add(e.sha256);
  p.blobs.prune(hashes);
}

/** The s2s routes a partner answers for pushes from its main site. */
export function mountSyncReceiver(router: express.Router, p: PartnerSync, deps: S2SServerDeps): void {
  // Offer: the manifest travels as a delta from a release we hold, or whole.
  s2sEndpoint(router, deps, SYNC_OFFER, (s2s, b) => {
    const number = b.release;
    const root = b.root;
    // The main site sends the partner's contract with each offer: every slice in its stored form. It is
    // checked strictly by this site's slices before anything else; a malformed one refuses the offer.
    let contract: StoredContract | undefined;
    try {
      contract = b.contract === undefined ? undefined : p.ctx.terms.accept(b.contract);
    } catch (err) {
      p.ctx.logger.warn(
        { event: 'offer_contract_refused', release: number, problems: err instanceof AppError ? err.details?.problems : undefined },
        'an offer came with a malformed contract: refused, the stored contract is kept',
      );
      throw err;
    }
    const keepContract = () => {
      if (contract && JSON.stringify(contract) !== JSON.stringify(s2s.peer.contract)) p.ctx.peers.setContract(s2s.peer.id, contract);
    };
    const existing = p.store.get(number);
    if (existing && existing.state !== 'receiving') {
      if (existing.root !== root) throw syncErrors.release_conflict(`release ${number} is already held here with another root`);
      keepContract();
      if (b.repair === true && (existing.state === 'active' || existing.state === 'pending')) {
        // Repair: any stored blob that no longer hashes to its name is dropped and asked for again.
        const damaged = [...new Set(existing.manifest.map((e) => e.sha256))].filter((h) => !p.blobs.intact(h));
        for (const h of damaged) p.blobs.remove(h);
        p.store.log('repair_offered', number, `${damaged.length} damaged file(s) to re-fetch`);
        return { body: { need: damaged, state: existing.state, alreadyHeld: true, ...syncStatus(p) } };
      }
      return { body: { need: [], state: existing.state, alreadyHeld: true, ...syncStatus(p) } };
    }
    let manifest: Manifest;
    if (b.delta !== undefined) {
      // The declaration guarantees base and baseRoot with a delta, and has validated the delta's entries.
      const base = b.base === undefined ? undefined : p.store.get(b.base);
      if (!base || base.root !== b.baseRoot) {
        throw syncErrors.base_unknown(`this partner does not hold release ${b.base}; send the whole manifest`);
      }
      try {
        manifest = validateManifest(applyDelta(base.manifest, b.delta));
      } catch (err) {
        if (err instanceof ManifestError) throw syncErrors[err.code](err.message);
        throw err;
      }
    } else {
      // Validated (and sorted) by the declaration; its refusals already carry the manifest's codes.
      manifest = b.manifest!;
    }
    if (manifestRoot(manifest) !== root) throw syncErrors.root_mismatch('the manifest does not hash to the announced root');
    keepContract();
    p.store.receive(number, root, b.note ?? '', manifest, b.requiresApproval === true);
    // Blobs found damaged in what is served are asked for again too (storing them replaces the damaged bytes).
    const damaged = p.content.damagedBlobs();
    const need = [...new Set(manifest.map((e) => e.sha256))].filter((h) => !p.blobs.has(h) || damaged.has(h));
    p.store.log('offered', number, `${manifest.length} files, ${need.length} blobs needed`);
    return { body: { need, state: 'receiving', ...syncStatus(p) } };
  });

  // Blobs: raw frames; each must be in the offered manifest with the right size and hash.
  s2sEndpoint(router, deps, SYNC_BLOBS, (_s2s, body, params) => {
    const number = params.release;
    const rel = p.store.get(number);
    if (!rel || !['receiving', 'active', 'pending'].includes(rel.state)) throw syncErrors.not_receiving(`release ${number} was not offered, or is no longer held`);
    let frames;
    try {
      frames = decodeBlobFrames(body);
    } catch (err) {
      throw syncErrors.bad_frames((err as Error).message);
    }
    const sizes = new Map(rel.manifest.map((e) => [e.sha256, e.size]));
    for (const f of frames) {
      const size = sizes.get(f.sha256);
      if (size === undefined) throw syncErrors.unexpected_blob(`blob ${f.sha256} is not part of release ${number}`);
      if (size !== f.data.length) throw syncErrors.size_mismatch(`blob ${f.sha256} is ${f.data.length} bytes, the manifest says ${size}`);
    }
    try {
      p.blobs.putMany(frames);
    } catch {
      throw syncErrors.hash_mismatch('a blob in the batch does not hash to its name; nothing of the batch was stored');
    }
    return { body: { stored: frames.length } };
  });

  // Commit: every blob present and every page renders; then wait for approval or activate. One commit at a time:
  // checking a release takes many turns of the event loop (rendered in slices so shoppers are served meanwhile).
  s2sEndpoint(router, deps, SYNC_COMMIT, (_s2s, b) => oneAtATime(p, () => commit(p, b)));

  // Rollback on the main operator's command: only to a release this partner kept.
  s2sEndpoint(router, deps, SYNC_ROLLBACK, async (_s2s, b) => {
    const number = b.release;
    const rel = p.store.get(number);
    if (!rel) throw syncErrors.release_not_found(`release ${number} is not kept here`);
    if (rel.state !== 'previous' && rel.state !== 'active') throw syncErrors.not_rollback_target(`release ${number} is ${rel.state}; only a previously served release can be rolled back to`);
    if (rel.state === 'previous') await activateRelease(p, number, 'rollback', `rolled back on the main operator's command (${b.by})`);
    return { body: { state: 'active' as const, ...syncStatus(p), ...(await p.content.servingStateSliced()) } };
  });

  // Status: what is really served, re-hashed from storage (in slices), for drift detection.
  s2sEndpoint(router, deps, SYNC_STATUS, async () => ({ body: { ...(await p.content.servingStateSliced()), ...syncStatus(p) } }));
}

const commitChains = new WeakMap<PartnerSync, Promise<unknown>>();

/** Runs commits one after the other: a second waits for the first to be checked and activated. */
function oneAtATime<T>(p: PartnerSync, job: () => Promise<T>): Promise<T> {
  const next = (commitChains.get(p) ?? Promise.resolve()).then(job, job);
  commitChains.set(
    p,
    next.catch(() => undefined),
  );
  return next;
}

async function commit(p: PartnerSync, b: RequestOutput<typeof SYNC_COMMIT>) {
  const number = b.release;
  const rel = p.store.get(number);
  if (!rel) throw syncErrors.not_receiving(`release ${number} was not offered`);
  if (rel.state !== 'receiving') {
    if (b.repair === true && rel.state === 'active') {
      // The main site's content wins over damaged files and emergency edits.
      await activateRelease(p, number, 'repaired', 'files re-fetched from the main site');
    }
    return { body: { state: rel.state, ...syncStatus(p), ...(await p.content.servingStateSliced()) } };
  }
  const missing = [...new Set(rel.manifest.map((e) => e.sha256))].filter((h) => !p.blobs.has(h));
  if (missing.length) throw syncErrors.blobs_missing(`${missing.length} blob(s) of release ${number} have not arrived`, { missing: missing.slice(0, 100) });
  // Built and rendered exactly as it would be served, so an activation can install this very view; in slices,
  // so the release served now keeps answering shoppers. If what is served changed meanwhile (an approval, a
  // rollback, new original pages), the check is made again against it.
  let preview: ContentView | undefined;
  let active: number | null = null;
  for (let attempt = 0; attempt < 3 && !preview; attempt++) {
    const gen = p.content.generation();
    active = p.store.activeNumber();
    const view = await p.content.buildSliced(number, false);
    const served = active === null ? undefined : p.store.get(active)?.manifest;
    const broken = await view.renderAllSliced(served);
    if (broken.length) {
      p.store.log('refused', number, `pages do not render: ${broken.map((x) => x.path).join(', ')}`);
      throw syncErrors.render_failed(`release ${number} has pages that do not render: ${broken.map((x) => `${x.path} (${x.error.split('\n')[0]})`).join('; ')}`);
    }
    // The same offer may have been made again while this one was checked (the manifest of a receiving release can be replaced).
    const now = p.store.get(number);
    if (!now || now.state !== 'receiving' || now.root !== rel.root) throw syncErrors.not_receiving(`release ${number} changed while it was being checked; commit again`);
    if (p.content.generation() === gen && p.store.activeNumber() === active) preview = view;
  }
  if (active !== null && number < active) {
    p.store.markSuperseded(number);
    return { body: { state: 'superseded' as const, ...syncStatus(p) } };
  }
  if (rel.requiresApproval) {
    p.store.markPending(number);
    p.store.log('pending', number, "waiting for the manager's approval");
    p.ctx.logger.info({ event: 'release_pending', release: number }, `release ${number} waits for approval`);
    return { body: { state: 'pending' as const, ...syncStatus(p), ...(await p.content.servingStateSliced()) } };
  }
  // The switch itself: one transaction and one assignment, with nothing awaited in between.
  await activateRelease(p, number, 'activated', 'applied at once (no approval required)', preview);
  return { body: { state: 'active' as const, ...syncStatus(p), ...(await p.content.servingStateSliced()) } };
}
