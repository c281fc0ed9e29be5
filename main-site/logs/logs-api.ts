import express, { type Request, type Response } from 'express';
import { logOrigin, witnessName } from '../../common/logchain/note.js';
import { LOGS_SHIP } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { SiteContext } from '../../common/site/context.js';
import { logBrowserApi } from '../../common/logs/index.js';
import { exportBundle } from './bundle.js';
import { mainLogSources } from './log-sources.js';
import type { Witness } from './witness.js';
import { logsErrors } from './errors.js';

/** Partners ship their logs here: POST /s2s/logs/ship. */
export function mountLogShipping(router: express.Router, witness: Witness, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, LOGS_SHIP, (s2s, body) => {
    if (body.size !== undefined) witness.store.setReported(s2s.peer.id, body.size);
    return { body: witness.accept(s2s.peer.id, body) };
  });
}

/** Per site: the latest accepted and cosigned checkpoint, the backlog, and fork evidence. */
export function logsOverview(ctx: SiteContext, witness: Witness) {
  const ownCp = ctx.logStore.latestCheckpoint();
  const sites = [
    {
      site: ctx.config.siteId,
      own: true,
      size: ctx.log.size,
      latestCheckpoint: ownCp ? { size: ownCp.size, root: ownCp.root.toString('hex'), time: ownCp.time } : null,
      cosigned: false,
      backlog: ctx.log.size - (ownCp?.size ?? 0),
      forks: [] as unknown[],
    },
  ];
  for (const p of ctx.peers.list().filter((x) => x.role === 'partner')) {
    const cp = witness.store.latestCheckpoint(p.id);
    const rep = witness.store.reported(p.id);
    sites.push({
      site: p.id,
      own: false,
      size: cp?.size ?? 0,
      latestCheckpoint: cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null,
      cosigned: !!cp,
      backlog: Math.max(0, rep.reportedSize - (cp?.size ?? 0)),
      forks: witness.store.forks(p.id).map((f) => ({ detectedAt: f.detectedAt, reason: f.reason, acceptedNote: f.acceptedNote, conflictingNote: f.conflictingNote })),
    });
  }
  return { sites };
}

/**
 * The latest checkpoint of a site's log as this site holds it: a partner's as
 * witnessed and cosigned here, or this site's own (which nobody cosigns).
 */
export function latestCheckpoint(ctx: SiteContext, witness: Witness, site: string) {
  if (site === ctx.config.siteId) {
    const own = ctx.logStore.latestCheckpoint();
    return { site, origin: logOrigin(site), witness: null, checkpoint: own?.note ?? null, cosignatures: [] as string[], acceptedAt: null };
  }
  const peer = ctx.peers.get(site);
  if (!peer || peer.role !== 'partner') throw logsErrors.site_not_found(`no log for site "${site}"`);
  const cp = witness.store.latestCheckpoint(site);
  return { site, origin: logOrigin(site), witness: witnessName(ctx.config.siteId), checkpoint: cp?.note ?? null, cosignatures: cp ? [cp.cosignature] : [], acceptedAt: cp?.acceptedAt ?? null };
}

const isoOrNull = (v: unknown, name: string): string | null => {
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw logsErrors.invalid_request(`${name} must be an ISO 8601 time`);
  return new Date(v).toISOString();
};

/** /admin/api/logs: overview and audit bundles. */
export function logsApi(ctx: SiteContext, witness: Witness, feeContract: (site: string) => unknown = () => undefined): express.Router {
  const r = express.Router();
  r.get('/logs', (_req, res) => {
    res.json(logsOverview(ctx, witness));
  });
  // The log browser's list and proofs for scripts (docs/logs.md, "Browsing the log in the console").
  r.use(logBrowserApi(mainLogSources(ctx, witness)));
  // What an auditor asks the witness to learn whether a bundle is the latest (tieup audit latest).
  r.get('/logs/:site/checkpoint', (req: Request, res: Response) => {
    res.json(latestCheckpoint(ctx, witness, String(req.params.site)));
  });
  r.get('/logs/:site/bundle', async (req: Request, res: Response) => {
    const from = isoOrNull(req.query.from, 'from');
    const to = isoOrNull(req.query.to, 'to');
    const gen = exportBundle(
      ctx,
      witness,
      String(req.params.site),
      { from, to, withContract: req.query.withContract === '1' || req.query.withContract === 'true' },
      feeContract(String(req.params.site)),
    );
    const first = await gen.next();
    res.type('application/x-ndjson').set('Content-Disposition', `attachment; filename="${String(req.params.site)}-audit.jsonl"`);
    if (!first.done) res.write(first.value);
    for await (const chunk of gen) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });
  return r;
}
