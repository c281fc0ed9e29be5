import express, { type Request } from 'express';
import { z } from 'zod';
import { expectNoOptions } from '../../common/http/bodies.js';
import { SYNC_ROLLBACK } from '../../common/protocol/index.js';
import { S2SCallError } from '../../common/s2s/client.js';
import { parseOrThrow } from '../../common/site/enrolment.js';
import { readSyncTerms } from '../../common/sync/terms.js';
import type { MainSync } from './main-sync.js';
import type { PartnerSyncState } from './sync-store.js';
import { publish } from './publisher.js';
import { checkDrift, recordServing, rolledBack, type PushOutcome } from './pusher.js';
import { WEBHOOK_EVENTS } from './webhooks.js';
import { syncErrors } from './errors.js';
import { parseDeliveryFilter } from './delivery-log.js';

const groupOf = (contract: Record<string, unknown>): string | undefined => {
  const r = readSyncTerms(contract);
  return r.ok ? r.terms?.group : undefined;
};

/**
 * Whether tie-up pages go to this peer at all: a partner whose contract holds
 * sync terms, or terms that cannot be read (listed, so the problem is seen and
 * fixed). A partner without a sync slice (a coordination peer: a supplier-only
 * site, a delivery service, a settlement agent) carries no tie-up pages: it is
 * no push target, not for "push all", a group or a schedule, and the sync page
 * does not list it among the push targets (syncTermsSlice.whenAbsent).
 */
export function takesTieUpPages(contract: Readonly<Record<string, unknown>>): boolean {
  const r = readSyncTerms(contract);
  return !r.ok || r.terms !== null;
}

/**
 * The push targets with their sync status, and apart from them the partners
 * that take no tie-up pages (named only): what the sync page, `GET
 * /admin/api/sync` and `tieup sync status` all show.
 */
export function syncTargets(m: MainSync) {
  const peers = m.ctx.peers.list().filter((p) => p.role === 'partner');
  return {
    partners: peers.filter((p) => takesTieUpPages(p.contract)).map((p) => ({ id: p.id, status: p.status, ...syncView(m, p.id) })),
    withoutSync: peers.filter((p) => !takesTieUpPages(p.contract)).map((p) => ({ id: p.id, name: p.displayName })),
  };
}

/** The sync status of one partner as the console and the API show it. */
export function syncView(m: MainSync, partnerId: string) {
  const peer = m.ctx.peers.get(partnerId);
  const s = m.sync.get(partnerId);
  // Unreadable or absent sync terms show as nulls (with the problem), never as defaults.
  const read = peer ? readSyncTerms(peer.contract) : undefined;
  const terms = read?.ok ? read.terms : null;
  const latest = m.releases.latest();
  return {
    partnershipType: terms?.partnershipType ?? null,
    requiresApproval: terms?.requiresApproval ?? null,
    schedule: terms?.schedule ?? null,
    ...(read && !read.ok ? { contractProblem: read.problem } : {}),
    nextScheduledPush: m.scheduler.nextRun(partnerId),
    latestRelease: latest?.number ?? null,
    activeRelease: s.activeRelease,
    heldRelease: s.heldRelease,
    stagedRelease: s.stagedRelease,
    stagedState: s.stagedState === 'pending' ? 'waiting approval' : s.stagedState,
    rejectReason: s.rejectReason,
    lastPush: s.lastPushAt ? { at: s.lastPushAt, outcome: s.lastPushOutcome, detail: s.lastPushDetail } : null,
    failing: s.failing,
    consecutiveFailures: s.consecutiveFailures,
    nextRetryAt: s.nextRetryAt,
    drift: s.drift,
    driftDetail: s.driftDetail,
    servingCheckedAt: s.servingCheckedAt,
    emergencyEditAt: s.emergencyEditAt,
    originalPaths: s.originalPaths,
    upToDate: latest !== undefined && s.activeRelease === latest.number && !s.drift,
    rollback: rollbackView(s, latest?.number ?? null),
  };
}

/**
 * A rollback that still stands: the partner serves the release it went back
 * to while a newer one exists. Shown in place of "pending" or "up to date" on
 * the console and by `tieup sync status`.
 */
function rollbackView(s: PartnerSyncState, latest: number | null) {
  if (s.rolledBackTo === null || s.activeRelease !== s.rolledBackTo) return null;
  const behind = latest !== null && latest > s.rolledBackTo;
  return {
    to: s.rolledBackTo,
    latest,
    by: s.rolledBackBy,
    at: s.rolledBackAt,
    text: `rolled back to ${s.rolledBackTo}${behind ? `, latest ${latest} not served` : ''}`,
  };
}

const publishSchema = z.strictObject({ note: z.string().max(2000).optional() });
const pushSchema = z.object({ overrideFreeze: z.boolean().optional(), repair: z.boolean().optional() }).strict();
const pushManySchema = z
  .object({ partners: z.array(z.string()).max(1000).optional(), group: z.string().optional(), all: z.boolean().optional(), overrideFreeze: z.boolean().optional() })
  .strict()
  .refine((v) => v.partners || v.group || v.all, 'choose partners, a group, or all');
const webhookSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:/.test(u), 'url must be http(s)'),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
  })
  .strict();

async function pushAndReport(
  m: MainSync,
  partnerId: string,
  req: { overrideFreeze?: boolean; repair?: boolean },
  trigger: 'manual' | 'repair',
): Promise<PushOutcome | { partner: string; outcome: 'failed'; detail: string; willRetry: boolean }> {
  try {
    return await m.queue.push({ partnerId, trigger, ...req });
  } catch (err) {
    const detail = err instanceof S2SCallError ? `${err.code}: ${err.message}` : (err as Error).message;
    return { partner: partnerId, outcome: 'failed', detail, willRetry: m.sync.get(partnerId).nextRetryAt !== null };
  }
}

/** /admin/api: releases, publish, push now, sync status, deliveries, drift checks and webhooks. */
export function syncApi(m: MainSync): express.Router {
  const r = express.Router();
  const who = (req: Request) => req.consoleUser?.username ?? 'operator';
  const partner = (id: string) => {
    const p = m.ctx.peers.get(id);
    if (!p || p.role !== 'partner') throw syncErrors.partner_not_found(`no partner "${id}"`);
    return p;
  };

  r.get('/releases', (_req, res) => {
    res.json({ releases: m.releases.list() });
  });
  r.post('/releases', (req, res) => {
    const { note } = parseOrThrow(publishSchema, req.body);
    const out = publish(m, note ?? '', who(req));
    const { manifest, ...rel } = out.release;
    res.status(out.created ? 201 : 200).json({
      created: out.created,
      release: { ...rel, files: manifest.length },
      unpublished: out.unpublished,
      // Partners this release will not reach until a page is renamed (their pushes say so too).
      collisions: out.collisions,
      ...(out.created ? {} : { message: 'nothing changed since the latest release' }),
    });
  });
  r.get('/releases/:n', (req, res) => {
    const rel = m.releases.get(Number(req.params.n));
    if (!rel) throw syncErrors.release_not_found(`no release ${req.params.n}`);
    res.json(rel);
  });
  r.get('/sync', (_req, res) => {
    res.json(syncTargets(m));
  });
  r.post('/partners/:id/push', async (req, res) => {
    const p = partner(String(req.params.id));
    const body = parseOrThrow(pushSchema, req.body);
    res.json(await pushAndReport(m, p.id, body, body.repair ? 'repair' : 'manual'));
  });
  r.post('/push', async (req, res) => {
    const body = parseOrThrow(pushManySchema, req.body);
    const targets = m.ctx.peers
      .list()
      .filter((p) => p.role === 'partner' && p.status === 'active')
      // Named partners are pushed as asked (a peer without sync terms answers "skipped", saying why); "all" means every partner that takes tie-up pages.
      .filter((p) => body.partners?.includes(p.id) || (body.all && takesTieUpPages(p.contract)) || (body.group && groupOf(p.contract) === body.group));
    const unknown = (body.partners ?? []).filter((id) => !targets.some((t) => t.id === id));
    if (unknown.length) throw syncErrors.partner_not_found(`no active partner ${unknown.join(', ')}`);
    const results = await Promise.all(targets.map((t) => pushAndReport(m, t.id, { overrideFreeze: body.overrideFreeze ?? false }, 'manual')));
    res.json({ results });
  });
  r.post('/partners/:id/rollback', async (req, res) => {
    const p = partner(String(req.params.id));
    const { release } = parseOrThrow(z.object({ release: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict(), req.body);
    const r = await m.ctx.client.send(p.id, SYNC_ROLLBACK, { release, by: who(req) });
    recordServing(m, p.id, r.body);
    // What the partner says it serves now is the release rolled back to (or, after a roll forward, no rollback at all).
    const served = m.sync.get(p.id).activeRelease;
    if (served === release) m.sync.update(p.id, rolledBack(m, release, `the main operator ${who(req)}`));
    m.sync.addEvent(p.id, 'rollback', release, `rolled back by the main operator ${who(req)}`);
    res.json(syncView(m, p.id));
  });
  r.post('/partners/:id/check-drift', async (req, res) => {
    const p = partner(String(req.params.id));
    expectNoOptions(req.body);
    await checkDrift(m, p.id);
    res.json(syncView(m, p.id));
  });
  r.get('/deliveries', (req, res) => {
    // The console page's filters (partner, state, release), and a limit; a bad value is a 400 naming it.
    const f = parseDeliveryFilter(m, req.query, { strict: true, limit: 50, maxLimit: 500 });
    res.json({ deliveries: m.sync.filteredDeliveries(f.filter) });
  });
  r.get('/sync/events', (req, res) => {
    const id = typeof req.query.partner === 'string' ? req.query.partner : null;
    res.json({ events: m.sync.events(id, 100) });
  });
  r.get('/webhooks', (_req, res) => {
    res.json({ webhooks: m.sync.webhooks(), events: WEBHOOK_EVENTS });
  });
  r.post('/webhooks', (req, res) => {
    const w = parseOrThrow(webhookSchema, req.body);
    res.status(201).json(m.sync.addWebhook(w.url, w.events));
  });
  r.delete('/webhooks/:id', (req, res) => {
    expectNoOptions(req.body);
    if (!m.sync.removeWebhook(Number(req.params.id))) throw syncErrors.webhook_not_found(`no webhook ${req.params.id}`);
    res.status(204).end();
  });
  return r;
}
