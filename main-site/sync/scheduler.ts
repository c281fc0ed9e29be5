import cron, { type ScheduledTask } from 'node-cron';
import { request } from 'undici';
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

  /** Partners that answered since start: the start grace no longer applies to them. */
  private readonly answered = new Set<string>();
  private readonly graceUntil: number;

  constructor(
    private readonly ctx: SiteContext,
    private readonly queue: PushQueue,
  ) {
    this.graceUntil = Date.now() + ctx.config.pushStartGraceSeconds * 1000;
  }

  /**
   * Within the start grace (pushStartGraceSeconds), whether the partner listens
   * yet: a partner starting beside the main site is not pushed (nor shown as
   * failing) before it answers. After the grace, or once it answered, always true.
   */
  private async ready(id: string): Promise<boolean> {
    if (this.answered.has(id) || Date.now() >= this.graceUntil) return true;
    const peer = this.ctx.peers.get(id);
    if (!peer) return true;
    try {
      const r = await request(`${peer.baseUrl.replace(/\/+$/, '')}/healthz`, { headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.dump();
      if (r.statusCode !== 200) return false;
    } catch {
      this.ctx.logger.debug({ event: 'push_waits_for_partner', partner: id }, `${id} does not answer yet; the scheduled push waits for it`);
      return false;
    }
    this.answered.add(id);
    return true;
  }

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
    let changed = false;
    for (const [id, cur] of this.tasks) {
      if (wanted.get(id) !== cur.expr) {
        void cur.task.destroy();
        this.tasks.delete(id);
        changed = true;
      }
    }
    for (const [id, expr] of wanted) {
      if (this.tasks.has(id)) continue;
      changed = true;
      const task = cron.schedule(
        expr,
        async () => {
          if (await this.ready(id)) await this.queue.push({ partnerId: id, trigger: 'schedule' }).catch(() => undefined);
          // The next run moved on, even when the push changed nothing (a scheduled no-op writes no row): open sync pages re-read it.
          this.ctx.live.publish('sync', 'schedule', id);
        },
        { name: `push-${id}`, noOverlap: true },
      );
      this.tasks.set(id, { expr, task });
    }
    if (changed) this.ctx.live.publish('sync', 'schedule');
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
