import express from 'express';
import { logBrowserApi, ownLogSource, type LogSources } from '../../common/logs/index.js';
import type { SiteContext } from '../../common/site/context.js';

/** What the partner console shows of its own log. */
export function ownLogStatus(ctx: SiteContext) {
  const cp = ctx.logStore.latestCheckpoint();
  const ship = ctx.logStore.shipping();
  const cos = ctx.logStore.latestCosignature();
  return {
    site: ctx.config.siteId,
    size: ctx.log.size,
    pending: ctx.log.pendingCount,
    latestCheckpoint: cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null,
    acceptedByMain: ship.acceptedSize,
    backlog: ctx.log.size - ship.acceptedSize,
    lastShippedAt: ship.lastShippedAt,
    lastError: ship.lastError,
    latestCosignature: cos ? { size: cos.size, witness: cos.witness, receivedAt: cos.receivedAt, line: cos.line } : null,
  };
}

export function ownLogApi(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/logs', (_req, res) => {
    res.json(ownLogStatus(ctx));
  });
  // The log browser's list and proofs for scripts: this site's own log only, as in the console.
  r.use(logBrowserApi(ownLogSources(ctx)));
  return r;
}

/** The logs a partner's console browses: its own, and nothing else. */
export function ownLogSources(ctx: SiteContext): LogSources {
  const own = ownLogSource(ctx, 'this site');
  return { own: ctx.config.siteId, list: () => [own] };
}
