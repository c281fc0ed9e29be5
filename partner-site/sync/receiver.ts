import type express from 'express';
import { AppError } from '../../common/errors.js';
import { applyDelta, type ManifestDelta } from '../../common/release/diff.js';
import { decodeBlobFrames } from '../../common/release/blob-frames.js';
import { ManifestError, manifestRoot, validateManifest, type Manifest } from '../../common/release/manifest.js';
import { ContentView } from '../../common/render/content-view.js';
import { s2sRoute, type S2SServerDeps } from '../../common/s2s/middleware.js';
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

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Buffer.isBuffer(v) ? (v as Record<string, unknown>) : {});
const releaseNumber = (v: unknown): number => {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw syncErrors.invalid_request('release must be a positive integer');
  return v as number;
};

/** Activation: one transaction in the database, then one assignment in memory. Keeps the last N releases. */
export function activateRelease(p: PartnerSync, number: number, event: string, detail: string | null = null, view?: ContentView): void {
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
  const onlyMain = (role: string) => {
    if (role !== 'main') throw syncErrors.not_main_site('only the main site pushes releases');
  };

  // Offer: the manifest travels as a delta from a release we hold, or whole.
  router.post(
    '/sync/offer',
    s2sRoute(deps, (s2s) => {
      onlyMain(s2s.peer.role);
      const b = asObject(s2s.body);
      const number = releaseNumber(b.release);
      const root = typeof b.root === 'string' ? b.root : '';
      // The main site sends the partner's contract with each offer: every slice in its stored form. It is
      // checked strictly by this site's slices before anything else; a malformed one refuses the offer.
      let contract: StoredContract | undefined;
      try {
        contract = b.contract === undefined ? undefined : p.ctx.terms.accept(b.contract);
      } catch (err) {
        p.ctx.logger.warn({ event: 'offer_contract_refused', release: number, problems: err instanceof AppError ? err.details?.problems : undefined }, 'an offer came with a malformed contract: refused, the stored contract is kept');
        throw err;
      }
      const keepContract = () => {
        if (contract && JSON.stringify(contract) !== JSON.stringify(s2s.peer.contract)) p.ctx.peers.setContract(s2s.peer.id, contract);
      };
      const existing = p.store.get(number);
      if (existing && existing.state !== 'receiving') {
        if (existing.root === root) keepContract();
        if (existing.root !== root) throw syncErrors.release_conflict(`release ${number} is already held here with another root`);
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
      try {
        let raw: unknown;
        if (b.delta !== undefined) {
          const baseNo = releaseNumber(b.base);
          const base = p.store.get(baseNo);
          if (!base || base.root !== b.baseRoot) {
            throw syncErrors.base_unknown(`this partner does not hold release ${baseNo}; send the whole manifest`);
          }
          raw = applyDelta(base.manifest, b.delta as ManifestDelta);
        } else {
          raw = b.manifest;
        }
        manifest = validateManifest(raw);
      } catch (err) {
        if (err instanceof ManifestError) throw syncErrors[err.code](err.message);
        throw err;
      }
      if (manifestRoot(manifest) !== root) throw syncErrors.root_mismatch('the manifest does not hash to the announced root');
      const note = typeof b.note === 'string' ? b.note.slice(0, 2000) : '';
      keepContract();
      p.store.receive(number, root, note, manifest, b.requiresApproval === true);
      const need = [...new Set(manifest.map((e) => e.sha256))].filter((h) => !p.blobs.has(h));
      p.store.log('offered', number, `${manifest.length} files, ${need.length} blobs needed`);
      return { body: { need, state: 'receiving', ...syncStatus(p) } };
    }),
  );

  // Blobs: raw frames; each must be in the offered manifest with the right size and hash.
  router.post(
    '/sync/blobs/:release',
    s2sRoute(deps, (s2s, req) => {
      onlyMain(s2s.peer.role);
      const number = releaseNumber(Number(req.params.release));
      const rel = p.store.get(number);
      if (!rel || !['receiving', 'active', 'pending'].includes(rel.state)) throw syncErrors.not_receiving(`release ${number} was not offered, or is no longer held`);
      if (!Buffer.isBuffer(s2s.body)) throw syncErrors.invalid_request('blobs travel as application/octet-stream frames');
      let frames;
      try {
        frames = decodeBlobFrames(s2s.body);
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
    }),
  );

  // Commit: every blob present and every page renders; then wait for approval or activate.
  router.post(
    '/sync/commit',
    s2sRoute(deps, (s2s) => {
      onlyMain(s2s.peer.role);
      const number = releaseNumber(asObject(s2s.body).release);
      const rel = p.store.get(number);
      if (!rel) throw syncErrors.not_receiving(`release ${number} was not offered`);
      if (rel.state !== 'receiving') {
        const b = asObject(s2s.body);
        if (b.repair === true && rel.state === 'active') {
          // The main site's content wins over damaged files and emergency edits.
          activateRelease(p, number, 'repaired', 'files re-fetched from the main site');
        }
        return { body: { state: rel.state, ...syncStatus(p), ...p.content.servingState() } };
      }
      const missing = [...new Set(rel.manifest.map((e) => e.sha256))].filter((h) => !p.blobs.has(h));
      if (missing.length) throw syncErrors.blobs_missing(`${missing.length} blob(s) of release ${number} have not arrived`, { missing: missing.slice(0, 100) });
      const active = p.store.activeNumber();
      // Built exactly as it would be served, so an activation can install this very view.
      const preview = p.content.build(number);
      const served = active === null ? undefined : p.store.get(active)?.manifest;
      const broken = preview.renderAll(served);
      if (broken.length) {
        p.store.log('refused', number, `pages do not render: ${broken.map((x) => x.path).join(', ')}`);
        throw syncErrors.render_failed(`release ${number} has pages that do not render: ${broken.map((x) => `${x.path} (${x.error.split('\n')[0]})`).join('; ')}`);
      }
      if (active !== null && number < active) {
        p.store.markSuperseded(number);
        return { body: { state: 'superseded', ...syncStatus(p) } };
      }
      if (rel.requiresApproval) {
        p.store.markPending(number);
        p.store.log('pending', number, 'waiting for the manager\'s approval');
        p.ctx.logger.info({ event: 'release_pending', release: number }, `release ${number} waits for approval`);
        return { body: { state: 'pending', ...syncStatus(p), ...p.content.servingState() } };
      }
      activateRelease(p, number, 'activated', 'applied at once (no approval required)', preview);
      return { body: { state: 'active', ...syncStatus(p), ...p.content.servingState() } };
    }),
  );

  // Rollback on the main operator's command: only to a release this partner kept.
  router.post(
    '/sync/rollback',
    s2sRoute(deps, (s2s) => {
      onlyMain(s2s.peer.role);
      const b = asObject(s2s.body);
      const number = releaseNumber(b.release);
      const rel = p.store.get(number);
      if (!rel) throw syncErrors.release_not_found(`release ${number} is not kept here`);
      if (rel.state !== 'previous' && rel.state !== 'active') throw syncErrors.not_rollback_target(`release ${number} is ${rel.state}; only a previously served release can be rolled back to`);
      if (rel.state === 'previous') activateRelease(p, number, 'rollback', `rolled back on the main operator's command (${typeof b.by === 'string' ? b.by.slice(0, 100) : 'operator'})`);
      return { body: { state: 'active', ...syncStatus(p), ...p.content.servingState() } };
    }),
  );

  // Status: what is really served, re-hashed from storage, for drift detection.
  router.post(
    '/sync/status',
    s2sRoute(deps, (s2s) => {
      onlyMain(s2s.peer.role);
      return { body: { ...p.content.servingState(), ...syncStatus(p) } };
    }),
  );
}
