import { SHOPPER_ORDERS_OF, SHOPPER_ORDERS_REPORT, type NetworkOrder } from '../../common/protocol/index.js';
import type { SiteContext } from '../../common/site/context.js';
import type { PartnerOrderEvent, PartnerShop } from '../shop/index.js';
import type { OrderReportStore, ReportedEvent } from './order-report-store.js';

/** How long the account page waits for the main site's list. */
const LIST_TIMEOUT_MS = 2000;
/** While reports wait (the main site is down), they are tried again this often. */
const RETRY_MS = 5000;
const BATCH = 200;

/**
 * Reports every state of the orders placed here to the main site, which holds
 * the shopper's account: it e-mails the shopper at each state and lists every
 * order of the account. A state is queued in the transaction that records it
 * and sent right after, then retried until the main site acknowledges it.
 */
export class OrderReporter {
  private current: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: OrderReportStore,
    shop: PartnerShop,
  ) {
    shop.onOrderEvent((e) => {
      this.store.queue(toReported(e));
      // After the caller's transaction commits: the row is there to send.
      setImmediate(() => void this.flush());
    });
  }

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  start(): void {
    void this.flush();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * Sends what waits, in batches. A run already under way is waited for first,
   * then this one runs, so a caller's flush always sees the queue as it is when
   * it asked. Resolves when the queue is empty or the main site cannot take it
   * now (a retry is then scheduled).
   */
  async flush(): Promise<void> {
    while (this.current) await this.current;
    if (this.closed) return;
    this.current = this.run().finally(() => (this.current = undefined));
    return this.current;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const due = this.store.due(BATCH);
      if (due.length === 0) return;
      if (!(await this.send(due))) {
        this.retryLater();
        return;
      }
    }
  }

  private async send(events: ReportedEvent[]): Promise<boolean> {
    const main = this.ctx.peers.main();
    if (!main) return false;
    try {
      const r = await this.ctx.client.send(main.id, SHOPPER_ORDERS_REPORT, { events }, undefined, { timeoutMs: 5000 });
      this.store.done(r.body.recorded);
      const refused = r.body.refused.map((x) => ({ id: x.id, state: events.find((e) => e.id === x.id)?.state ?? 'accepted' }));
      for (const x of r.body.refused) this.ctx.logger.warn({ event: 'order_report_refused', order: x.id, reason: x.reason }, `the main site refused an order report: ${x.reason}; it is dropped`);
      this.store.done(refused);
      this.failing = false;
      return true;
    } catch (err) {
      this.store.tried(events);
      // One line per outage, not one per retry.
      if (!this.failing)
        this.ctx.logger.warn({ event: 'order_report_failed', waiting: this.store.pending(), reason: (err as Error).message }, 'could not report order states to the main site; retrying');
      this.failing = true;
      return false;
    }
  }

  private retryLater(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.flush(), RETRY_MS);
    this.timer.unref();
  }

  /** Every order of the shopper in the network, from the main site; a note instead when it cannot be asked. */
  async ordersOf(userId: string): Promise<{ orders: NetworkOrder[]; note?: string }> {
    const main = this.ctx.peers.main();
    if (!main) return { orders: [], note: 'Orders on other sites cannot be listed: this shop is not connected to its main site yet.' };
    try {
      const r = await this.ctx.client.send(main.id, SHOPPER_ORDERS_OF, { userId }, undefined, { timeoutMs: LIST_TIMEOUT_MS });
      return { orders: r.body.orders };
    } catch {
      return { orders: [], note: 'Your orders on other sites cannot be listed right now (the central site does not answer); try again in a minute.' };
    }
  }
}

function toReported(e: PartnerOrderEvent): ReportedEvent {
  const o = e.order;
  return {
    id: o.id,
    number: o.number,
    mode: o.mode,
    state: e.state,
    userId: o.userId,
    lines: o.lines.map((l) => ({ productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice })),
    handlingFee: o.handlingFee,
    total: o.total,
    currency: o.currency,
    settlement: o.settlement,
    mainNumber: o.mainNumber ?? null,
    tracking: e.state === 'shipped' ? e.detail : null,
    reason: e.state === 'cancelled' ? e.detail : null,
    createdAt: o.createdAt,
    at: e.at,
  };
}
