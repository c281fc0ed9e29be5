import cron, { type ScheduledTask } from 'node-cron';
import type { SiteContext } from '../../common/site/context.js';
import { readSyncTerms } from '../../common/sync/terms.js';
import type { PushQueue } from './push-queue.js';

/**
 * One cron task per partner with a schedule in its contract. Reconciled when
 * partners change; the next run time of each is kept for the console.
 */
export class PushScheduler {
  private readonly tasks = new Map<string, { expr: string; task: ScheduledTask }>();
  private readonly unreadable = new Map<string, string>();

  constructor(
    private readonly ctx: SiteContext,
    private readonly queue: PushQueue,
  ) {}

  reconcile(): void {
    const wanted = new Map<string, string>();
    for (const p of this.ctx.peers.list()) {
      if (p.role !== 'partner' || p.status !== 'active') continue;
      const r = readSyncTerms(p.contract);
      if (!r.ok) {
        // No schedule is guessed from unreadable terms; said once per change of problem, not at every reconcile.
        if (this.unreadable.get(p.id) !== r.problem)
          this.ctx.logger.error({ event: 'schedule_unknown_contract_invalid', partner: p.id, problem: r.problem }, `no scheduled pushes to ${p.id}: its sync terms cannot be read`);
        this.unreadable.set(p.id, r.problem);
        continue;
      }
      this.unreadable.delete(p.id);
      const t = r.terms;
      if (t?.schedule && t.partnershipType !== 'link') wanted.set(p.id, t.schedule);
    }
    for (const [id, cur] of this.tasks) {
      if (wanted.get(id) !== cur.expr) {
        void cur.task.destroy();
        this.tasks.delete(id);
      }
    }
    for (const [id, expr] of wanted) {
      if (this.tasks.has(id)) continue;
      const task = cron.schedule(
        expr,
        () => {
          this.queue.push({ partnerId: id, trigger: 'schedule' }).catch(() => undefined);
        },
        { name: `push-${id}`, noOverlap: true },
      );
      this.tasks.set(id, { expr, task });
    }
  }

  nextRun(partnerId: string): string | null {
    const t = this.tasks.get(partnerId);
    const next = t?.task.getNextRun();
    return next ? next.toISOString() : null;
  }

  async close(): Promise<void> {
    for (const t of this.tasks.values()) await t.task.destroy();
    this.tasks.clear();
  }
}
