import type express from 'express';
import { s2sRoute, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { MainSync } from './main-sync.js';
import { recordServing } from './pusher.js';
import { notify } from './webhooks.js';
import { syncErrors } from './errors.js';

const str = (v: unknown, max = 1000): string | null => (typeof v === 'string' ? v.slice(0, max) : null);

/** What partners tell the main site, signed: approvals, rejections, rollbacks and emergency edits. */
export function mountPartnerReports(router: express.Router, m: MainSync, deps: S2SServerDeps): void {
  router.post(
    '/sync/decision',
    s2sRoute(deps, (s2s) => {
      if (s2s.peer.role !== 'partner') throw syncErrors.not_a_partner('only partners report decisions');
      const b = (s2s.body ?? {}) as Record<string, unknown>;
      const release = Number(b.release);
      if (!Number.isSafeInteger(release) || release < 1) throw syncErrors.invalid_request('release must be a positive integer');
      const by = str(b.by, 100) ?? 'manager';
      if (b.decision === 'approved') {
        m.sync.update(s2s.peer.id, { stagedRelease: null, stagedState: null, rejectReason: null, activeRelease: release });
        m.sync.addEvent(s2s.peer.id, 'approved', release, `by ${by}`);
      } else if (b.decision === 'rejected') {
        const reason = str(b.reason) ?? '(no reason given)';
        m.sync.update(s2s.peer.id, { stagedRelease: release, stagedState: 'rejected', rejectReason: reason });
        m.sync.addEvent(s2s.peer.id, 'rejected', release, `${by}: ${reason}`);
        notify(m.ctx, m.sync, 'release_rejected', s2s.peer.id, release, reason);
      } else {
        throw syncErrors.invalid_request('decision must be "approved" or "rejected"');
      }
      recordServing(m, s2s.peer.id, b);
      m.ctx.logger.info({ event: 'partner_decision', partner: s2s.peer.id, release, decision: b.decision }, `partner ${s2s.peer.id} ${String(b.decision)} release ${release}`);
      return { body: { recorded: true } };
    }),
  );

  router.post(
    '/sync/report',
    s2sRoute(deps, (s2s) => {
      if (s2s.peer.role !== 'partner') throw syncErrors.not_a_partner('only partners send reports');
      const b = (s2s.body ?? {}) as Record<string, unknown>;
      const release = typeof b.release === 'number' ? b.release : null;
      const by = str(b.by, 100) ?? 'manager';
      if (b.event === 'rollback') {
        m.sync.update(s2s.peer.id, { activeRelease: release });
        m.sync.addEvent(s2s.peer.id, 'rollback', release, `rolled back by ${by}`);
        notify(m.ctx, m.sync, 'rollback', s2s.peer.id, release, `rolled back to release ${release} by ${by}`);
      } else if (b.event === 'emergency_edit') {
        const detail = `${str(b.path, 300) ?? '?'} changed by ${by}: ${str(b.reason) ?? ''}`;
        m.sync.update(s2s.peer.id, { emergencyEditAt: new Date().toISOString() });
        m.sync.addEvent(s2s.peer.id, 'emergency_edit', release, detail);
        notify(m.ctx, m.sync, 'emergency_edit', s2s.peer.id, release, detail);
      } else {
        throw syncErrors.invalid_request('event must be "rollback" or "emergency_edit"');
      }
      recordServing(m, s2s.peer.id, b);
      return { body: { recorded: true } };
    }),
  );
}
