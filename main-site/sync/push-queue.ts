import { S2SCallError } from '../../common/s2s/client.js';
import { notify } from './webhooks.js';
import { pushOnce, type PushOutcome, type PushRequest, type PusherDeps } from './pusher.js';

interface Waiter {
  resolve: (o: PushOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs pushes with bounded concurrency, at most one at a time per partner.
 * A failed push is retried with exponential backoff and jitter; after the last
 * attempt the partner is marked failing with the reason and a notification goes out.
 */
export class PushQueue {
  private running = 0;
  private readonly waiting: { req: PushRequest; waiters: Waiter[] }[] = [];
  private readonly active = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly d: PusherDeps) {}

  /** Queues a push; a push already waiting for the same partner absorbs this one. */
  push(req: PushRequest): Promise<PushOutcome> {
    if (this.closed) return Promise.reject(new Error('the push queue is shut down'));
    return new Promise((resolve, reject) => {
      const same = this.waiting.find((w) => w.req.partnerId === req.partnerId);
      if (same) {
        // The stronger request wins: manual over scheduled, override and repair kept.
        if (req.trigger === 'manual' || req.trigger === 'repair') same.req.trigger = req.trigger;
        same.req.overrideFreeze ||= req.overrideFreeze;
        same.req.repair ||= req.repair;
        same.waiters.push({ resolve, reject });
      } else {
        this.waiting.push({ req: { ...req }, waiters: [{ resolve, reject }] });
      }
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.d.ctx.config.pushConcurrency) {
      const i = this.waiting.findIndex((w) => !this.active.has(w.req.partnerId));
      if (i < 0) return;
      const job = this.waiting.splice(i, 1)[0]!;
      this.running++;
      this.active.add(job.req.partnerId);
      void this.run(job).finally(() => {
        this.running--;
        this.active.delete(job.req.partnerId);
        this.pump();
      });
    }
  }

  private async run(job: { req: PushRequest; waiters: Waiter[] }): Promise<void> {
    const { req } = job;
    const t = this.retryTimers.get(req.partnerId);
    if (t && req.trigger !== 'retry') {
      clearTimeout(t);
      this.retryTimers.delete(req.partnerId);
    }
    try {
      const out = await pushOnce(this.d, req);
      for (const w of job.waiters) w.resolve(out);
    } catch (err) {
      this.scheduleRetry(req, err);
      for (const w of job.waiters) w.reject(err);
    }
  }

  private scheduleRetry(req: PushRequest, err: unknown): void {
    const { sync, ctx } = this.d;
    const attempt = req.attempt ?? 1;
    const reason = err instanceof S2SCallError ? `${err.code}: ${err.message}` : (err as Error).message;
    const failures = sync.get(req.partnerId).consecutiveFailures + 1;
    if (attempt >= ctx.config.pushMaxAttempts || this.closed) {
      sync.update(req.partnerId, { consecutiveFailures: failures, failing: true, nextRetryAt: null, lastPushDetail: `failed after ${attempt} attempt(s): ${reason}` });
      ctx.logger.error({ event: 'push_failing', partner: req.partnerId, attempts: attempt, reason }, `pushes to ${req.partnerId} are failing`);
      notify(ctx, sync, 'push_failed', req.partnerId, null, `failed after ${attempt} attempt(s): ${reason}`);
      return;
    }
    // Full jitter around an exponential step, capped at five minutes.
    const base = ctx.config.pushRetryBaseMs * 2 ** (attempt - 1);
    const delay = Math.min(300_000, Math.round(base / 2 + Math.random() * base));
    sync.update(req.partnerId, { consecutiveFailures: failures, nextRetryAt: new Date(Date.now() + delay).toISOString() });
    ctx.logger.warn({ event: 'push_retry_scheduled', partner: req.partnerId, attempt, delayMs: delay, reason }, `push to ${req.partnerId} failed; retrying`);
    const timer = setTimeout(() => {
      this.retryTimers.delete(req.partnerId);
      this.push({ ...req, trigger: 'retry', attempt: attempt + 1 }).catch(() => undefined);
    }, delay);
    timer.unref();
    this.retryTimers.set(req.partnerId, timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
  }
}
