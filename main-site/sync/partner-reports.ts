import type express from 'express';
import { SYNC_DECISION, SYNC_REPORT } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { MainSync } from './main-sync.js';
import { NOT_ROLLED_BACK, recordServing, rolledBack } from './pusher.js';
import { notify } from './webhooks.js';

/** What partners tell the main site, signed: approvals, rejections, rollbacks, emergency edits and damaged files. */
export function mountPartnerReports(router: express.Router, m: MainSync, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, SYNC_DECISION, (s2s, b) => {
    const { release, by } = b;
    if (b.decision === 'approved') {
      // The last push's row said "pending"; the partner's answer is what it ended in.
      m.sync.update(s2s.peer.id, {
        stagedRelease: null,
        stagedState: null,
        rejectReason: null,
        ...NOT_ROLLED_BACK,
        activeRelease: release,
        lastPushOutcome: 'active',
        lastPushDetail: `release ${release} approved by ${by} and served`,
      });
      m.sync.addEvent(s2s.peer.id, 'approved', release, `by ${by}`);
    } else {
      m.sync.update(s2s.peer.id, {
        stagedRelease: release,
        stagedState: 'rejected',
        rejectReason: b.reason,
        lastPushOutcome: 'rejected',
        lastPushDetail: `release ${release} rejected by ${by}: ${b.reason}`,
      });
      m.sync.addEvent(s2s.peer.id, 'rejected', release, `${by}: ${b.reason}`);
      notify(m.ctx, m.sync, 'release_rejected', s2s.peer.id, release, b.reason);
    }
    recordServing(m, s2s.peer.id, b);
    m.ctx.logger.info({ event: 'partner_decision', partner: s2s.peer.id, release, decision: b.decision }, `partner ${s2s.peer.id} ${b.decision} release ${release}`);
    return { body: { recorded: true } };
  });

  s2sEndpoint(router, deps, SYNC_REPORT, (s2s, b) => {
    const { release } = b;
    if (b.event === 'rollback') {
      const latest = m.releases.latest()?.number ?? null;
      const behind = latest !== null && release !== null && latest > release ? `, latest ${latest} not served` : '';
      m.sync.update(s2s.peer.id, {
        activeRelease: release,
        lastPushOutcome: 'rolled_back',
        lastPushDetail: `rolled back to ${release} by ${b.by}${behind}`,
        ...rolledBack(m, release, b.by),
      });
      m.sync.addEvent(s2s.peer.id, 'rollback', release, `rolled back by ${b.by}`);
      notify(m.ctx, m.sync, 'rollback', s2s.peer.id, release, `rolled back to release ${release} by ${b.by}`);
    } else if (b.event === 'damaged') {
      // Drift found by the partner itself (a stored file failing its hash): recorded now, not at the next drift check.
      m.sync.addEvent(s2s.peer.id, 'damaged', release, `stored file(s) fail their hash: ${b.paths.join(', ')}`);
      m.ctx.logger.warn({ event: 'partner_files_damaged', partner: s2s.peer.id, release, paths: b.paths }, `partner ${s2s.peer.id} reports damaged files`);
    } else {
      const { by } = b;
      const detail = `${b.path} changed by ${by}: ${b.reason}`;
      m.sync.update(s2s.peer.id, { emergencyEditAt: new Date().toISOString() });
      m.sync.addEvent(s2s.peer.id, 'emergency_edit', release, detail);
      notify(m.ctx, m.sync, 'emergency_edit', s2s.peer.id, release, detail);
    }
    recordServing(m, s2s.peer.id, b);
    return { body: { recorded: true } };
  });
}
