import { createHash, randomUUID } from 'node:crypto';
import { groundErrors } from '../../common/errors.js';
import { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import type { Product } from '../../common/render/catalog.js';
import { canMove, nextStates, outOfStockError, type OrderLine, type OrderState, type OrderView, type Settlement } from '../../common/shop/order-states.js';
import { readShopTerms, type ConsultCommand } from '../../common/shop/terms.js';
import type { StoredContract } from '../../common/contract/terms.js';
import type { ContentView } from '../../common/render/content-view.js';
import { logOrderEvent } from '../../common/logchain/page-log.js';
import { SHOP_PARTNER_ORDERS, type ResponseOutput } from '../../common/protocol/index.js';
import { OutOfStock } from '../../common/shop/stock-table.js';
import { KeyClosed, MainShopStore, type UnconfirmedOrder } from './shop-store.js';
import type { UserService } from '../users/index.js';
import { publicMessage } from '../../common/errors.js';
import { peerRefusal } from '../../common/s2s/client.js';
import { mainShopErrors } from './errors.js';
import { shopErrors } from '../../common/shop/errors.js';

/** An order a partner processes itself, as its answer to shop.partner-orders shows it (with the partner's id as its site). */
export type PartnerOrderView = ResponseOutput<typeof SHOP_PARTNER_ORDERS>['orders'][number];

const addressSchema = z
  .object({ name: z.string().min(1).max(100), street: z.string().min(1).max(200), postcode: z.string().min(1).max(20), city: z.string().min(1).max(100), country: z.string().min(1).max(60) })
  .strict();
const linesSchema = z
  .array(z.object({ productId: z.string().min(1).max(64), qty: z.number().int().min(1).max(99) }).strict())
  .min(1)
  .max(50)
  .refine((ls) => new Set(ls.map((l) => l.productId)).size === ls.length, 'each product appears once');

/** An order a partner entrusts to the main site (the seed's mode (2), Fig. 6). */
export const entrustedOrderSchema = z
  .object({
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'idempotencyKey is 16-80 letters, digits, "-" or "_"'),
    user: z.object({ id: z.string().min(1).max(64), email: z.string().min(3).max(260) }).strict(),
    lines: linesSchema,
    settlement: z.enum(['pay_on_delivery', 'bank_transfer', 'pickup']),
    address: addressSchema.nullable(),
  })
  .strict()
  .refine((o) => o.settlement === 'pickup' || o.address !== null, 'a delivery address is needed unless the order is picked up');

/**
 * A state an order of the main site reached (placed is "accepted"), for other
 * capabilities (the shopper's order e-mails). `detail` is the tracking
 * reference of a shipment or the reason of a cancellation, when given.
 */
export interface MainOrderEvent {
  order: OrderView;
  state: OrderState;
  at: string;
  detail: string | null;
}
export type MainOrderListener = (e: MainOrderEvent) => void;

export const consultSchema = z.object({ lines: linesSchema }).strict();

const firstIssue = (e: z.ZodError) => {
  const i = e.issues[0]!;
  return `${i.path.join('.') || 'body'}: ${i.message}`;
};

/**
 * The main site's shop: it holds the stock of tie-up goods, processes its own
 * shoppers' orders and those partners entrust to it, and answers consultations.
 */
export class MainShop {
  private readonly listeners: MainOrderListener[] = [];
  constructor(
    private readonly ctx: SiteContext,
    readonly store: MainShopStore,
    private readonly view: () => ContentView,
    private readonly users: UserService,
  ) {}

  /**
   * Extension point: `fn` hears every state an order reaches, inside the
   * transaction that records it (so what it stores, a notice say, is committed
   * with the state or not at all; if it throws, the change is undone). Orders
   * expired by the job are told right after their own transaction.
   */
  onOrderEvent(fn: MainOrderListener): void {
    this.listeners.push(fn);
  }

  private emit(order: OrderView, detail: string | null = null): void {
    for (const fn of this.listeners) fn({ order, state: order.state, at: order.updatedAt, detail });
  }

  /** An order's states with their times, actors and details (the order's timeline). */
  timeline(o: OrderView) {
    return this.store.events(o.id);
  }

  /** Gives products seen for the first time their catalog stock (called whenever a release is served). */
  seedStock(): void {
    this.store.stock.seed(
      this.view()
        .catalog.all()
        .map((p) => ({ productId: p.id, initial: p.initialStock })),
    );
  }

  available(p: Product): number | null {
    return this.store.stock.of(p.id);
  }

  private priced(lines: { productId: string; qty: number }[]): { lines: OrderLine[]; total: number; currency: string } {
    const catalog = this.view().catalog;
    const out: OrderLine[] = [];
    let currency = '';
    for (const l of lines) {
      const p = catalog.get(l.productId);
      if (!p) throw mainShopErrors.unknown_product(`there is no product ${l.productId} in the current catalog`);
      currency ||= p.currency;
      out.push({ productId: p.id, name: p.name, qty: l.qty, unitPrice: p.price });
    }
    return { lines: out, total: out.reduce((s, l) => s + l.qty * l.unitPrice, 0), currency };
  }

  /** An order by one of the main site's own shoppers. */
  placeDirect(r: { user: { id: string; email: string }; lines: { productId: string; qty: number }[]; settlement: Settlement; address: OrderView['address']; idempotencyKey: string }): OrderView {
    return this.placeFor(this.ctx.config.siteId, 'direct', r);
  }

  /**
   * An entrusted order, exactly once per (partner, idempotency key): a repeat
   * with the same parameters answers the first order; other parameters are refused.
   */
  placeEntrusted(site: string, raw: unknown): { order: OrderView; replayed: boolean; stock: Record<string, number> } {
    const parsed = entrustedOrderSchema.safeParse(raw);
    if (!parsed.success) throw mainShopErrors.invalid_order(firstIssue(parsed.error));
    const o = parsed.data;
    const account = this.users.account(o.user.id);
    if (!account) throw mainShopErrors.unknown_user('the order names no account of this network; the shopper must log in again');
    // The contact details are the account's, whatever the partner wrote: a partner names the shopper, it cannot re-address the order.
    if (o.user.email.trim().toLowerCase() !== account.email) {
      this.ctx.logger.warn({ event: 'entrusted_order_email_ignored', partner: site, userId: account.id }, `${site} sent an order for ${account.id} with another e-mail address; the account's is used`);
    }
    const requestHash = createHash('sha256')
      .update(JSON.stringify({ user: o.user.id, lines: [...o.lines].sort((a, b) => a.productId.localeCompare(b.productId)), settlement: o.settlement, address: o.address }))
      .digest('hex');
    const earlier = this.store.keyed(site, o.idempotencyKey);
    if (earlier) {
      if (earlier.requestHash !== requestHash) throw shopErrors.idempotency_key_reused('this idempotency key was already used for an order with different parameters');
      return { order: earlier.order, replayed: true, stock: this.stockFor(earlier.order) };
    }
    const order = this.placeFor(site, 'entrust', { ...o, user: { id: account.id, email: account.email } }, requestHash);
    return { order, replayed: false, stock: this.stockFor(order) };
  }

  private stockFor(o: OrderView): Record<string, number> {
    return Object.fromEntries(o.lines.map((l) => [l.productId, this.store.stock.of(l.productId) ?? 0]));
  }

  private placeFor(
    site: string,
    mode: 'direct' | 'entrust',
    r: { user: { id: string; email: string }; lines: { productId: string; qty: number }[]; settlement: Settlement; address: OrderView['address']; idempotencyKey: string },
    requestHash?: string,
  ): OrderView {
    const priced = this.priced(r.lines);
    try {
      // A race between two requests with one key ends in the primary-key
      // conflict inside the transaction: the loser is refused and changes nothing.
      const order = this.ctx.db
        .transaction(() => {
          const placed = this.store.place(
            { id: randomUUID(), site, mode, userId: r.user.id, userEmail: r.user.email, ...priced, settlement: r.settlement, address: r.address, warehouse: 'central' },
            { key: r.idempotencyKey, requestHash: requestHash ?? r.idempotencyKey },
          );
          this.emit(placed);
          return placed;
        })
        .immediate();
      this.ctx.logger.info({ event: 'order_accepted', order: order.number, site, mode, total: order.total, currency: order.currency }, 'order accepted');
      return order;
    } catch (err) {
      if (err instanceof OutOfStock) throw outOfStockError(err.productId, this.view().catalog.get(err.productId)?.name, this.store.stock.of(err.productId) ?? 0);
      if (err instanceof KeyClosed)
        throw mainShopErrors.idempotency_key_closed('this idempotency key was closed when the partner asked for its order and there was none; nothing was ordered. Check out again with a new form.');
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        const again = this.store.keyed(site, r.idempotencyKey);
        if (again) return again.order;
      }
      throw err;
    }
  }

  /**
   * What became of a partner's order whose answer it lost: the order its key
   * made, or undefined, in which case the key is closed (logged) so a late copy
   * of the request can never make the order after all.
   */
  orderByKey(site: string, key: string): OrderView | undefined {
    const o = this.store.lookupOrClose(site, key);
    this.ctx.logger.info(
      { event: o ? 'order_lookup_found' : 'order_lookup_closed', partner: site, order: o?.number },
      o ? `${site} asked for an order whose answer it lost: ${o.number}` : `${site} asked for an order whose answer it lost: none; the key is closed`,
    );
    return o;
  }

  /** The partner has recorded these entrusted orders; they will not expire. */
  confirmOrders(site: string, ids: string[]): string[] {
    return this.store.confirm(site, ids);
  }

  /** The expiry time in words, for the console. */
  expireAfterText(): string {
    const ms = this.ctx.config.shopUnconfirmedExpireMs;
    return ms % 3600_000 === 0 ? `${ms / 3600_000} h` : `${Math.round(ms / 60_000)} min`;
  }

  /** Entrusted orders their partner never confirmed (those expired included), for the console. */
  unconfirmed(): UnconfirmedOrder[] {
    return this.store.unconfirmed();
  }

  /**
   * Expires the entrusted orders no partner confirmed within
   * TIEUP_SHOP_UNCONFIRMED_EXPIRE_MS of being placed: each is cancelled and its
   * stock returned, with a log line. Orders an operator already moved on are
   * left alone (someone is handling them).
   */
  expireUnconfirmed(now = new Date()): UnconfirmedOrder[] {
    const cutoff = new Date(now.getTime() - this.ctx.config.shopUnconfirmedExpireMs).toISOString();
    const expired = this.store.expireUnconfirmed(cutoff, 'expired: never confirmed by its partner');
    for (const o of expired) this.emit(o, 'it was never confirmed by the shop it was placed on');
    for (const o of expired)
      this.ctx.logger.warn(
        { event: 'order_expired', order: o.number, partner: o.site, placedAt: o.createdAt, total: o.total, currency: o.currency },
        `entrusted order ${o.number} of ${o.site} was never confirmed by its partner: expired (cancelled, stock returned)`,
      );
    return expired;
  }

  /**
   * The partner's contract as its shop state carries it: every slice as stored
   * here. Undefined, logged, when a slice cannot be read: the partner then keeps
   * the terms it was last sent rather than receive a contract it would refuse.
   */
  contractToSend(site: string): StoredContract | undefined {
    const peer = this.ctx.peers.get(site);
    if (!peer) return undefined;
    const sent = this.ctx.terms.toSend(peer.contract);
    if (sent.ok) return sent.contract;
    this.ctx.logger.warn({ event: 'shop_state_without_contract', partner: site, problems: sent.problems }, `the shop state for ${site} goes without its contract: the stored terms cannot be read`);
    return undefined;
  }

  /** Consult mode (the seed's mode (3), Fig. 7): the command the partner must follow, from its contract, recorded. */
  consult(site: string, raw: unknown): ConsultCommand {
    const { command, lines } = this.command(site, raw);
    this.store.recordConsultation({ id: command.consultationId, site, lines, command });
    return command;
  }

  /** What a consultation would command now, not recorded (the partner shows its fee before the shopper orders). */
  commandFor(site: string, raw: unknown): ConsultCommand {
    return this.command(site, raw).command;
  }

  private command(site: string, raw: unknown): { command: ConsultCommand; lines: OrderLine[] } {
    const parsed = consultSchema.safeParse(raw);
    if (!parsed.success) throw mainShopErrors.invalid_consultation(firstIssue(parsed.error));
    const priced = this.priced(parsed.data.lines);
    const read = readShopTerms(this.ctx.peers.get(site)?.contract ?? {});
    if (!read.ok) {
      this.ctx.logger.error({ event: 'consult_refused_contract_invalid', partner: site, problem: read.problem }, `consultation from ${site} refused: its shop terms cannot be read`);
      throw groundErrors.contract_invalid(`the main site cannot read ${site}'s shop terms (${read.problem}); nothing is commanded until an operator writes them again`);
    }
    if (!read.contracted) throw groundErrors.not_contracted(`${site}'s contract has no shop terms: nothing is handled in consult mode`);
    const terms = read.terms;
    const command: ConsultCommand = {
      checkStock: terms.consult.checkStock,
      warehouse: terms.consult.warehouse,
      handlingFee: { amount: terms.consult.handlingFee, currency: priced.currency },
      consultationId: randomUUID(),
    };
    return { command, lines: priced.lines };
  }

  /** Moves an order on; cancelling returns its stock. Direct orders' cancellations go in the main site's log. */
  move(number: string, to: OrderState, actor: string, detail: string | null = null): OrderView {
    const o = this.store.byNumber(number);
    if (!o) throw shopErrors.order_not_found(`there is no order ${number}`);
    if (!canMove(o.state, to)) throw shopErrors.invalid_transition(`order ${number} is ${o.state}; it can move to ${nextStates(o.state).join(' or ') || 'no other state'}`);
    const moved = this.ctx.db.transaction(() => {
      if (!this.store.move(o.id, o.state, to, actor, detail)) return false;
      this.emit(this.store.get(o.id)!, detail);
      return true;
    })();
    if (!moved) throw shopErrors.order_changed(`order ${number} changed meanwhile; reload and try again`);
    if (to === 'cancelled' && o.mode === 'direct') {
      logOrderEvent(this.ctx.log, {
        type: 'cancel',
        path: `/orders/${number}`,
        kind: 'tie-up',
        status: 200,
        release: this.view().release?.number ?? null,
        who: { user: o.userId, session: null },
        client: undefined,
        ua: undefined,
        order: { id: number, amount: o.total, currency: o.currency },
      });
    }
    this.ctx.logger.info({ event: 'order_moved', order: number, from: o.state, to, actor }, 'order state changed');
    return this.store.get(o.id)!;
  }

  stock(): Record<string, number> {
    return this.store.stock.all();
  }

  /**
   * Orders partners process themselves (local and consult), read live from
   * each active partner; a partner that does not answer within 3 s is named.
   */
  async partnerOrders(site?: string): Promise<{ orders: PartnerOrderView[]; unreachable: { site: string; reason: string }[] }> {
    const partners = this.ctx.peers.list().filter((p) => p.role === 'partner' && p.status === 'active' && (!site || p.id === site));
    const results = await Promise.all(
      partners.map(async (p) => {
        try {
          const r = await this.ctx.client.send(p.id, SHOP_PARTNER_ORDERS, undefined, undefined, { timeoutMs: 3000 });
          return { orders: r.body.orders.map((o) => ({ ...o, site: p.id })), unreachable: [] };
        } catch (err) {
          // A signed "no such route" is the peer saying it runs no shop (a delivery service, a settlement agent): not a fault to show.
          const refusal = peerRefusal(err);
          if (refusal?.status === 404 && refusal.code === 'not_found') return { orders: [], unreachable: [] };
          return { orders: [], unreachable: [{ site: p.id, reason: publicMessage(err) }] };
        }
      }),
    );
    return { orders: results.flatMap((r) => r.orders).sort((a, b) => b.createdAt.localeCompare(a.createdAt)), unreachable: results.flatMap((r) => r.unreachable) };
  }

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  partnerIds(): string[] {
    return this.ctx.peers
      .list()
      .filter((p) => p.role === 'partner')
      .map((p) => p.id);
  }
}
