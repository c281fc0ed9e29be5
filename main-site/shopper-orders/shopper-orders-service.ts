import type { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import type { NetworkOrder, reportedOrderEvent } from '../../common/protocol/index.js';
import type { OrderView } from '../../common/shop/index.js';
import type { MainOrderEvent, MainShop } from '../shop/index.js';
import type { UserService } from '../users/index.js';
import type { NoticeService } from '../notices/index.js';
import { orderMail, orderMailKind, type OrderMailFacts } from './order-mail.js';
import type { ReportedOrder, ShopperOrdersStore } from './shopper-orders-store.js';

type ReportedEvent = z.infer<typeof reportedOrderEvent>;

/**
 * Every order of a shopper in the network, and the e-mails about them. The
 * main site holds the shopper's account and e-mail, so it sends the e-mail for
 * each state of every order: its own orders' as they move (inside the same
 * transaction), a partner's as the partner reports them. Each e-mail is one
 * notice per order and state (dedupeKey), so it is sent exactly once however
 * often a state is reported.
 */
export class ShopperOrders {
  constructor(
    private readonly ctx: SiteContext,
    readonly store: ShopperOrdersStore,
    private readonly shop: MainShop,
    private readonly users: UserService,
    private readonly notices: NoticeService,
  ) {
    shop.onOrderEvent((e) => {
      this.mailMainOrder(e);
      // Open order lists on the console show the new order or state at once.
      ctx.live.publish('orders', e.state, e.order.number);
    });
  }

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  private mailMainOrder(e: MainOrderEvent): void {
    const o = e.order;
    this.mail(o.site, o.userId, { ...this.facts(o, e.detail), placedAt: o.site, shippedBy: this.siteId });
  }

  private facts(o: OrderView, detail: string | null): Omit<OrderMailFacts, 'placedAt' | 'shippedBy' | 'shopperName'> {
    return { number: o.number, state: o.state, lines: o.lines, handlingFee: o.handlingFee, total: o.total, currency: o.currency, settlement: o.settlement, detail };
  }

  /** One notice per (site, order number, state); an order of an account that no longer exists is not mailed (logged). */
  private mail(site: string, userId: string, f: Omit<OrderMailFacts, 'shopperName'>): void {
    const account = this.users.account(userId);
    if (!account) {
      this.ctx.logger.warn({ event: 'order_mail_no_account', site, order: f.number }, `order ${f.number} names no account; no e-mail is sent`);
      return;
    }
    const m = orderMail({ ...f, shopperName: account.name });
    this.notices.send({
      recipient: { email: account.email, name: account.name },
      kind: orderMailKind(f.state, f.settlement),
      subject: m.subject,
      text: m.text,
      data: { order: f.number, state: f.state, placedAt: f.placedAt, shippedBy: f.shippedBy, ...(f.detail ? { detail: f.detail } : {}) },
      dedupeKey: `order:${site}:${f.number}:${f.state}`,
    });
  }

  /**
   * A partner's report of states its orders reached. Each is recorded and, the
   * first time a state of a local or consult order is heard, mailed, in one
   * transaction per event. Entrusted orders are mailed by this site as they
   * move here; their report only links the partner's number to ours. An event
   * naming no account of the network is refused (and not retried).
   */
  report(site: string, events: ReportedEvent[]): { recorded: { id: string; state: ReportedEvent['state'] }[]; refused: { id: string; reason: string }[] } {
    const recorded: { id: string; state: ReportedEvent['state'] }[] = [];
    const refused: { id: string; reason: string }[] = [];
    for (const e of events) {
      if (!this.users.exists(e.userId)) {
        refused.push({ id: e.id, reason: 'the order names no account of this network' });
        continue;
      }
      const order: ReportedOrder = {
        site,
        orderId: e.id,
        number: e.number,
        mode: e.mode,
        state: e.state,
        userId: e.userId,
        mainNumber: e.mode === 'entrust' ? e.mainNumber : null,
        total: e.total,
        currency: e.currency,
        createdAt: e.createdAt,
        updatedAt: e.at,
      };
      this.store.db.transaction(() => {
        const first = this.store.record(order, e.at);
        if (first && e.mode !== 'entrust') {
          this.mail(site, e.userId, {
            number: e.number,
            state: e.state,
            placedAt: site,
            shippedBy: site,
            lines: e.lines,
            handlingFee: e.handlingFee,
            total: e.total,
            currency: e.currency,
            settlement: e.settlement,
            detail: e.state === 'shipped' ? e.tracking : e.state === 'cancelled' ? e.reason : null,
          });
        }
      })();
      recorded.push({ id: e.id, state: e.state });
      this.ctx.live.publish('orders', e.state, e.number);
    }
    return { recorded, refused };
  }

  /**
   * Every order of one shopper in the network, newest first: this site's
   * (direct and entrusted, with the partner's number when reported) and those
   * partners process themselves, as last reported.
   */
  ordersOf(userId: string): NetworkOrder[] {
    const here: NetworkOrder[] = this.shop.store.forUserAnySite(userId).map((o) => ({
      number: o.number,
      placedAt: o.site,
      shippedBy: this.siteId,
      linkedNumber: o.mode === 'entrust' ? (this.store.byMainNumber(o.site, o.number)?.number ?? null) : null,
      state: o.state,
      total: o.total,
      currency: o.currency,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
    }));
    const reported: NetworkOrder[] = this.store
      .forUser(userId)
      .filter((o) => o.mode !== 'entrust')
      .map((o) => ({
        number: o.number,
        placedAt: o.site,
        shippedBy: o.site,
        linkedNumber: null,
        state: o.state,
        total: o.total,
        currency: o.currency,
        createdAt: o.createdAt,
        updatedAt: o.updatedAt,
      }));
    return [...here, ...reported].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 500);
  }

  /** The partner's number of an order it entrusted to us (for the order's page). */
  partnerNumberOf(site: string, mainNumber: string): string | null {
    return this.store.byMainNumber(site, mainNumber)?.number ?? null;
  }
}
