import type { z } from 'zod';
import type { reportedOrderEvent } from '../../common/protocol/index.js';
import type { Db } from '../../common/store/sqlite.js';

export type ReportedEvent = z.infer<typeof reportedOrderEvent>;

/** The outbox of order states to report to the main site. */
export class OrderReportStore {
  private readonly q;
  constructor(readonly db: Db) {
    this.q = {
      queue: db.prepare('INSERT OR IGNORE INTO order_reports (order_id, state, event_json, queued_at) VALUES (?, ?, ?, ?)'),
      due: db.prepare<[number], { event_json: string }>('SELECT event_json FROM order_reports ORDER BY queued_at, order_id LIMIT ?'),
      done: db.prepare('DELETE FROM order_reports WHERE order_id = ? AND state = ?'),
      tried: db.prepare('UPDATE order_reports SET tries = tries + 1 WHERE order_id = ? AND state = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM order_reports'),
    };
  }

  queue(e: ReportedEvent): void {
    this.q.queue.run(e.id, e.state, JSON.stringify(e), new Date().toISOString());
  }

  due(limit: number): ReportedEvent[] {
    return this.q.due.all(limit).map((r) => JSON.parse(r.event_json) as ReportedEvent);
  }

  done(items: { id: string; state: string }[]): void {
    this.db.transaction(() => {
      for (const i of items) this.q.done.run(i.id, i.state);
    })();
  }

  tried(items: { id: string; state: string }[]): void {
    this.db.transaction(() => {
      for (const i of items) this.q.tried.run(i.id, i.state);
    })();
  }

  pending(): number {
    return this.q.count.get()!.n;
  }
}
