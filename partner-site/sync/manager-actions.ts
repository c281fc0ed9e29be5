import { createTwoFilesPatch } from 'diff';
import { groundErrors } from '../../common/errors.js';
import { z } from 'zod';
import { compareManifests } from '../../common/release/diff.js';
import { checkPath, pageUrlPath, sha256Hex } from '../../common/release/manifest.js';
import { MAX_DAMAGED_LISTED, SYNC_DECISION, SYNC_REPORT, type RequestInput } from '../../common/protocol/index.js';
import { S2SCallError } from '../../common/s2s/client.js';
import { parseOrThrow } from '../../common/site/enrolment.js';
import { readSyncTerms } from '../../common/sync/terms.js';
import type { ServingState } from './partner-content.js';
import { activateRelease, type PartnerSync } from './receiver.js';
import { syncErrors } from './errors.js';

const mainPeer = (p: PartnerSync) => p.ctx.peers.main();

/** What a partner tells its main site; each carries what the partner serves now (its ServingState), added by tellMain. */
type Told = typeof SYNC_DECISION | typeof SYNC_REPORT;
type WithoutServing<T> = T extends unknown ? Omit<T, keyof ServingState> : never;

/** Tells the main site; a failure is logged and reported to the caller, never hidden. */
export async function tellMain(p: PartnerSync, endpoint: Told, body: WithoutServing<RequestInput<Told>>): Promise<{ reported: boolean; error?: string }> {
  const main = mainPeer(p);
  if (!main) return { reported: false, error: 'no main site is enrolled' };
  try {
    await p.ctx.client.send(main.id, endpoint, { ...body, ...p.content.servingState() });
    return { reported: true };
  } catch (err) {
    const msg = err instanceof S2SCallError ? `${err.code}: ${err.message}` : (err as Error).message;
    p.store.log('report_failed', body.release, msg);
    p.ctx.logger.warn({ event: 'report_to_main_failed', path: endpoint.path, reason: msg }, 'could not tell the main site');
    return { reported: false, error: msg };
  }
}

/**
 * Stored files of the served release found damaged (at start, or when an asset is read): logged in the sync log
 * (the manager's console shows them) and told to the main site at once, where they show as drift.
 */
export async function reportDamage(p: PartnerSync, paths: string[]): Promise<void> {
  const release = p.store.activeNumber();
  if (release === null || paths.length === 0) return;
  const listed = paths.slice(0, MAX_DAMAGED_LISTED);
  p.store.log('damaged', release, `stored file(s) fail their hash: ${listed.join(', ')}`);
  await tellMain(p, SYNC_REPORT, { event: 'damaged', release, paths: listed });
}

export interface PageChange {
  path: string;
  url: string | null;
  diff?: string;
}

/** What a pending release changes against what is served: pages with text diffs, other files by name. */
export function describePending(p: PartnerSync, number: number) {
  const rel = p.store.get(number);
  if (!rel || rel.state !== 'pending') throw syncErrors.release_not_pending.as(404, `release ${number} is not waiting for approval`);
  const activeNo = p.store.activeNumber();
  const base = activeNo === null ? [] : (p.store.get(activeNo)?.manifest ?? []);
  const c = compareManifests(base, rel.manifest);
  const text = (sha: string) => p.blobs.read(sha).toString('utf8');
  const isPage = (path: string) => path.startsWith('pages/');
  return {
    release: rel.number,
    note: rel.note,
    receivedAt: rel.receivedAt,
    activeRelease: activeNo,
    pages: {
      added: c.added.filter((e) => isPage(e.path)).map((e) => ({ path: e.path, url: pageUrlPath(e.path) })),
      changed: c.changed
        .filter((x) => isPage(x.after.path))
        .map((x) => ({
          path: x.after.path,
          url: pageUrlPath(x.after.path),
          diff: createTwoFilesPatch(`served/${x.before.path}`, `release-${number}/${x.after.path}`, text(x.before.sha256), text(x.after.sha256), undefined, undefined, { context: 2 }),
        })),
      removed: c.removed.filter((e) => isPage(e.path)).map((e) => ({ path: e.path, url: pageUrlPath(e.path) })),
    },
    otherFiles: {
      added: c.added.filter((e) => !isPage(e.path)).map((e) => e.path),
      changed: c.changed.filter((x) => !isPage(x.after.path)).map((x) => x.after.path),
      removed: c.removed.filter((e) => !isPage(e.path)).map((e) => e.path),
    },
    previewUrl: `/manage/preview/${rel.number}/`,
  };
}

export async function approve(p: PartnerSync, number: number, by: string) {
  const rel = p.store.get(number);
  if (!rel || rel.state !== 'pending') throw syncErrors.release_not_pending(`release ${number} is not waiting for approval`);
  p.store.decide(number, 'pending', by, null);
  await activateRelease(p, number, 'approved', `approved by ${by}`);
  return { release: number, state: 'active', ...(await tellMain(p, SYNC_DECISION, { release: number, decision: 'approved', by })) };
}

const reasonSchema = z.object({ reason: z.string().trim().min(1, 'give a reason for the rejection').max(1000) }).strict();

export async function reject(p: PartnerSync, number: number, by: string, body: unknown) {
  const { reason } = parseOrThrow(reasonSchema, body ?? {});
  const rel = p.store.get(number);
  if (!rel || rel.state !== 'pending') throw syncErrors.release_not_pending(`release ${number} is not waiting for approval`);
  p.store.decide(number, 'rejected', by, reason);
  p.store.log('rejected', number, `${by}: ${reason}`);
  return { release: number, state: 'rejected', ...(await tellMain(p, SYNC_DECISION, { release: number, decision: 'rejected', reason, by })) };
}

export async function rollback(p: PartnerSync, number: number, by: string) {
  const rel = p.store.get(number);
  if (!rel) throw syncErrors.release_not_found(`release ${number} is not kept here`);
  if (rel.state === 'active') throw syncErrors.already_active(`release ${number} is already served`);
  if (rel.state !== 'previous') throw syncErrors.not_rollback_target(`only a previously served release can be rolled back to (release ${number} is ${rel.state})`);
  await activateRelease(p, number, 'rollback', `rolled back by ${by}`);
  return { release: number, state: 'active', ...(await tellMain(p, SYNC_REPORT, { event: 'rollback', release: number, by })) };
}

const emergencySchema = z.object({ content: z.string().max(1024 * 1024), reason: z.string().trim().min(1, 'say why the emergency edit is needed').max(1000) }).strict();

/** The contract's emergency edit right: replace one tie-up file, logged here and reported to the main site. */
export async function emergencyEdit(p: PartnerSync, path: string, by: string, body: unknown) {
  const main = mainPeer(p);
  const sync = main ? readSyncTerms(main.contract) : undefined;
  if (sync && !sync.ok) {
    p.ctx.logger.error({ event: 'emergency_edit_refused_contract_invalid', problem: sync.problem }, 'emergency edit refused: the sync terms cannot be read');
    throw groundErrors.contract_invalid(`the sync terms from the main site cannot be read (${sync.problem}); no emergency edit until the main site sends them again`);
  }
  // Absent sync terms (nothing sent yet) grant no right.
  if (!sync?.ok || sync.terms?.emergencyEdit !== true)
    throw syncErrors.no_emergency_right('the contract does not grant this partner an emergency edit right; tie-up pages change only through the main site');
  const { content, reason } = parseOrThrow(emergencySchema, body ?? {});
  const checked = checkPath(path);
  if ('problem' in checked) throw syncErrors.bad_path(`${path}: ${checked.problem}`);
  const activeNo = p.store.activeNumber();
  const rel = activeNo === null ? undefined : p.store.get(activeNo);
  if (!rel || !rel.manifest.some((e) => e.path === path)) throw syncErrors.not_a_tieup_file(`${path} is not a tie-up file of the served release`);
  const data = Buffer.from(content, 'utf8');
  const sha = sha256Hex(data);
  p.blobs.put(sha, data);
  const at = new Date().toISOString();
  p.store.putEmergencyEdit({ path, sha256: sha, size: data.length, at, byUser: by, reason });
  p.store.log('emergency_edit', activeNo, `${path} by ${by}: ${reason}`);
  p.ctx.logger.warn({ event: 'emergency_edit', path, by, reason }, 'tie-up file changed under the emergency edit right');
  p.content.refresh();
  return { path, sha256: sha, ...(await tellMain(p, SYNC_REPORT, { event: 'emergency_edit', release: rel.number, path, reason, by })) };
}
