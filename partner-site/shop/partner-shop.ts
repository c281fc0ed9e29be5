import { randomUUID } from 'node:crypto';
import { AppError, groundErrors } from '../../common/errors.js';
import {
  SHOP_CONSULT,
  SHOP_CONSULT_QUOTE,
  SHOP_ORDER_BY_KEY,
  SHOP_ORDER_CONFIRM,
  SHOP_ORDER_PLACE,
  SHOP_ORDER_STATUS,
  SHOP_STATE,
  type AnyEndpoint,
  type ResponseOutput,
} from '../../common/protocol/index.js';
import { neverSent, peerRefusal, type S2SResponse, type SendOptions } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { Product } from '../../common/render/catalog.js';
import { canMove, checkShownTotal, nextStates, outOfStockError, type OrderState, type OrderView } from '../../common/shop/order-states.js';
import type { CartSettlement, CheckoutGroup, PendingOrder, PendingView, PlaceRequest, ShopBackend } from '../../common/shop/shop-routes.js';
import { CartStore } from '../../common/shop/cart-store.js';
import { randomToken } from '../../common/web/tokens.js';
import { handlingMode, readShopTerms, type ConsultCommand, type HandlingMode, type ShopTerms } from '../../common/shop/terms.js';
import { userCopyGranted } from '../../common/users/index.js';
import { logOrderEvent } from '../../common/logchain/page-log.js';
import type { ContentView } from '../../common/render/content-view.js';
import { PartnerShopStore, type OrderAttempt, type PartnerOrder } from './shop-store.js';
import { OutOfStock } from '../../common/shop/stock-table.js';
import { partnerShopErrors } from './errors.js';
import { shopErrors } from '../../common/shop/errors.js';

/**
 * A state an order on this partner reached (placed is its first state), for
 * other capabilities (reporting it to the main site for the shopper's e-mails
 * and order list). `detail`: a shipment's tracking reference or a cancellation's reason.
 */
export interface PartnerOrderEvent {
  order: PartnerOrder;
  state: OrderState;
  at: string;
  detail: string | null;
}
export type PartnerOrderListener = (e: PartnerOrderEvent) => void;

/** How long the shopper waits for the main site before being told plainly. */
const FORWARD_TIMEOUT_MS = 8000;
/** How long a settlement (asking by idempotency key) or a confirmation may take: a shopper's page waits for it. */
const SETTLE_TIMEOUT_MS = 3000;
const NO_CONTRACT: Record<string, unknown> = {};
const UNREACHABLE = 'We could not reach the central warehouse to confirm your order, so nothing was ordered or charged. Please try again in a minute; trying again never orders twice.';

/**
 * The partner's shop: which goods it processes itself and which it forwards,
 * the main site's stock as last heard, and its own orders. Every call to the
 * main site goes over the authenticated channel.
 */
export class PartnerShop implements ShopBackend {
  private mainStock: Record<string, number> = {};
  private mainStockAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private failures = 0;
  private parsedTerms: { contract: Record<string, unknown>; read: ReturnType<typeof readShopTerms> } | undefined;
  private refusedContract: string | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private settleFailing = false;
  /** The carts of this site (the shop's shared part): a settled order's goods leave the cart it came from. */
  private readonly carts: CartStore;
  private readonly listeners: PartnerOrderListener[] = [];

  constructor(
    private readonly ctx: SiteContext,
    readonly store: PartnerShopStore,
    private readonly view: () => ContentView,
  ) {
    this.carts = new CartStore(ctx.db);
  }

  /**
   * Extension point: `fn` hears every state an order placed here reaches
   * (entrusted ones once, when recorded here), inside the transaction that
   * records it, so what it stores commits with the state or not at all.
   */
  onOrderEvent(fn: PartnerOrderListener): void {
    this.listeners.push(fn);
  }

  private emit(order: PartnerOrder, detail: string | null = null): void {
    for (const fn of this.listeners) fn({ order, state: order.state, at: order.updatedAt, detail });
  }

  /**
   * The terms in force, read again only when the stored contract changes (this
   * is on every product page). Absent shop terms mean every tie-up order is
   * entrusted to the main site; unreadable ones stop the shop's tie-up goods
   * with contract_invalid rather than guess how to handle them.
   */
  terms(): ShopTerms {
    const r = this.readTerms();
    if (!r.ok) throw groundErrors.contract_invalid.as(503, `This shop cannot take orders on the main brand's goods right now: its terms from the main site cannot be read (${r.problem}).`);
    return r.terms;
  }

  /** The shop terms as stored, read strictly (for the manager's view, which shows a problem instead of failing). */
  readTerms(): ReturnType<typeof readShopTerms> {
    const contract = this.ctx.peers.main()?.contract ?? NO_CONTRACT;
    if (this.parsedTerms?.contract !== contract) {
      const read = readShopTerms(contract);
      if (!read.ok)
        this.ctx.logger.error({ event: 'shop_terms_unreadable', problem: read.problem }, 'the stored shop terms cannot be read; tie-up goods are not sold until the main site sends them again');
      this.parsedTerms = { contract, read };
    }
    return this.parsedTerms.read;
  }

  /** The main site's address (its console's order pages are linked from this partner's), or null before enrolment. */
  mainUrl(): string | null {
    return this.ctx.peers.main()?.baseUrl.replace(/\/$/, '') ?? null;
  }

  /** Whether the contract grants this partner a user copy (unreadable users terms grant none). */
  userCopyGranted(): boolean {
    return userCopyGranted(this.ctx.peers.main()?.contract ?? NO_CONTRACT).granted;
  }

  modeOf(p: Product): HandlingMode {
    return handlingMode(this.terms(), p);
  }

  /**
   * One checkout group, so one order, per handler and mode: entrusted goods
   * (the main site processes them), consulted goods (this shop, as the main
   * site commands, with its handling fee) and local goods (this shop, from its
   * own stock). A fee or a stock rule of one mode never touches another's goods.
   */
  groupOf(p: Product): CheckoutGroup {
    const mode = this.modeOf(p);
    if (mode === 'entrust') return { id: 'central', label: 'Sent from the central warehouse', settlements: ['pay_on_delivery', 'bank_transfer'] };
    const shop = this.view().look.name;
    if (mode === 'consult') return { id: 'consult', label: `From ${shop}, arranged with the central warehouse`, settlements: ['pay_on_delivery', 'bank_transfer', 'pickup'] };
    return { id: 'shop', label: `From ${shop}`, settlements: ['pay_on_delivery', 'bank_transfer', 'pickup'] };
  }

  /** The handling fee of a consulted order, asked of the main site (not recorded there) before the checkout page shows it; other groups carry none. */
  async quote(group: string, lines: { product: Product; qty: number }[]): Promise<{ handlingFee: number }> {
    if (group !== 'consult' || lines.length === 0) return { handlingFee: 0 };
    const body = { lines: lines.map((l) => ({ productId: l.product.id, qty: l.qty })) };
    const r = await this.callMain(SHOP_CONSULT_QUOTE, (id, opts) => this.ctx.client.send(id, SHOP_CONSULT_QUOTE, body, undefined, opts), SETTLE_TIMEOUT_MS);
    return { handlingFee: r.body.handlingFee.amount };
  }

  available(p: Product): number | null {
    const mode = this.modeOf(p);
    if (mode === 'local') return this.store.stock.of(p.id) ?? 0;
    if (mode === 'consult') {
      const local = this.store.stock.of(p.id);
      if (local !== null) return local;
    }
    return this.mainStockAt === null ? null : (this.mainStock[p.id] ?? 0);
  }

  /** Original goods start with the stock their catalog gives (once; then the manager sets it). */
  seedOriginalStock(): void {
    this.store.stock.seed(
      this.view()
        .catalog.all()
        .filter((p) => p.source === 'original')
        .map((p) => ({ productId: p.id, initial: p.initialStock })),
    );
  }

  /** Stock of tie-up goods and this partner's shop terms, from the main site. */
  async refreshFromMain(): Promise<boolean> {
    const main = this.ctx.peers.main();
    if (!main) return false;
    try {
      const r = await this.ctx.client.send(main.id, SHOP_STATE, undefined);
      this.mainStock = r.body.stock;
      this.mainStockAt = Date.now();
      if (r.body.contract !== undefined) this.keepContract(r.body.contract);
      this.dropUngrantedCopies();
      return true;
    } catch (err) {
      // One line per outage, not one per retry.
      if (this.failures === 0) this.ctx.logger.warn({ event: 'shop_state_failed', reason: (err as Error).message }, 'could not read stock from the main site; retrying');
      return false;
    }
  }

  /**
   * Stores the contract the main site sent with its state, as sent, once it
   * passes this site's slices strictly; a malformed one is refused (logged once)
   * and the stored contract kept. The partner never writes terms itself.
   */
  keepContract(sent: unknown): void {
    const main = this.ctx.peers.main();
    if (!main) return;
    let contract;
    try {
      contract = this.ctx.terms.accept(sent);
    } catch (err) {
      const problems = err instanceof AppError ? (err.details?.problems as string[] | undefined) : undefined;
      const key = JSON.stringify(problems ?? (err as Error).message);
      if (this.refusedContract !== key)
        this.ctx.logger.warn({ event: 'shop_state_contract_refused', problems }, 'the main site sent a malformed contract with its shop state: refused, the stored contract is kept');
      this.refusedContract = key;
      return;
    }
    this.refusedContract = undefined;
    if (JSON.stringify(main.contract) !== JSON.stringify(contract)) this.ctx.peers.setContract(main.id, contract);
  }

  /** Drops the user copies the moment the contract stops granting them (unreadable terms neither grant nor revoke: copies are kept, unused). */
  dropUngrantedCopies(): void {
    const g = userCopyGranted(this.ctx.peers.main()?.contract ?? NO_CONTRACT);
    if (!g.granted && !g.problem && this.store.userCopies() > 0) {
      const n = this.store.dropUserCopies();
      this.ctx.logger.info({ event: 'user_copies_dropped', count: n }, 'the contract no longer grants a user copy; copies deleted');
    }
  }

  /** Reads the main site's state now and then every `everyMs`; after a failure it retries sooner (1, 2, 4... s). */
  startPolling(everyMs: number): void {
    this.polling = true;
    const tick = async () => {
      const ok = await this.refreshFromMain();
      this.failures = ok ? 0 : this.failures + 1;
      if (!this.polling) return;
      this.timer = setTimeout(() => void tick(), ok ? everyMs : Math.min(everyMs, 1000 * 2 ** Math.min(this.failures - 1, 6)));
      this.timer.unref();
    };
    void tick();
  }

  stopPolling(): void {
    this.polling = false;
    clearTimeout(this.timer);
    clearInterval(this.settleTimer);
  }

  /** The background job: every `everyMs`, settles attempts whose answer was lost and confirms recorded orders the main site has not acknowledged. */
  startSettling(everyMs: number): void {
    let running = false;
    this.settleTimer = setInterval(() => {
      if (running) return;
      running = true;
      this.settlePending()
        .catch((err: Error) => this.ctx.logger.error({ event: 'order_settle_failed', reason: err.message }, 'settling orders failed; the next run tries again'))
        .finally(() => (running = false));
    }, everyMs);
    this.settleTimer.unref();
  }

  /** One run of the background job; returns how many attempts were settled (placed or abandoned). */
  async settlePending(): Promise<number> {
    let settled = 0;
    for (const a of this.store.unknownAttempts({ limit: 100 })) {
      const r = await this.settle(a);
      if (r.state === 'unknown') break; // the main site is unreachable: the next run tries again
      settled++;
    }
    const unconfirmed = this.store.unconfirmedMainIds();
    if (unconfirmed.length) await this.confirm(unconfirmed);
    return settled;
  }

  /** A call to the main site; its refusals come back with their own status and message, anything else is "unreachable". */
  private async callMain<T>(endpoint: AnyEndpoint, send: (mainId: string, opts: SendOptions) => Promise<S2SResponse<T>>, timeoutMs = FORWARD_TIMEOUT_MS): Promise<{ status: number; body: T }> {
    const main = this.ctx.peers.main();
    if (!main) throw partnerShopErrors.main_unreachable('This shop is not connected to its main site yet, so it cannot take this order. Nothing was ordered.');
    try {
      const r = await send(main.id, { timeoutMs });
      return { status: r.status, body: r.body };
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      this.ctx.logger.warn({ event: 'main_call_failed', path: endpoint.path, reason: (err as Error).message }, 'call to the main site failed');
      throw partnerShopErrors.main_unreachable(UNREACHABLE);
    }
  }

  async place(r: PlaceRequest): Promise<OrderView | PendingOrder> {
    const earlier = this.store.byKey(r.idempotencyKey);
    if (earlier) {
      if (earlier.userId !== r.shopper.id) throw shopErrors.idempotency_key_reused('This order form belongs to another session; reload the checkout page.');
      return earlier;
    }
    // Every line belongs to the group named (the cart page splits by group); anything else is a bug, refused before anything is ordered.
    const wrong = r.lines.find((l) => this.groupOf(l.product).id !== r.group);
    if (wrong) throw shopErrors.order_changed(`${wrong.product.name} is no longer handled this way; reload your cart and check out again.`);
    const currency = r.lines[0]!.product.currency;
    const linesTotal = r.lines.reduce((s, l) => s + l.qty * l.product.price, 0);
    if (r.group === 'central') {
      checkShownTotal(r.shownTotal, { linesTotal, handlingFee: 0, currency });
      return this.entrust(r);
    }
    return this.processHere(r);
  }

  /**
   * Mode entrust (the seed's (2)): the main site processes the order. The
   * attempt is recorded BEFORE it is forwarded, so an answer lost after the
   * main site committed leaves a record here ("outcome unknown") instead of a
   * shopper told nothing was ordered; it is settled by asking the main site by
   * idempotency key. Only a refusal, or a request that certainly never left,
   * ends it as failed (the same key may be sent again).
   */
  private async entrust(r: PlaceRequest): Promise<OrderView | PendingOrder> {
    const main = this.ctx.peers.main();
    if (!main) throw partnerShopErrors.main_unreachable('This shop is not connected to its main site yet, so it cannot take this order. Nothing was ordered.');
    const had = this.store.attempt(r.idempotencyKey);
    if (had && had.userId !== r.shopper.id) throw shopErrors.idempotency_key_reused('This order form belongs to another session; reload the checkout page.');
    if (had?.state === 'unknown') return { pending: true, ref: had.ref };
    if (had?.state === 'abandoned')
      throw partnerShopErrors.attempt_closed('That checkout form was used for an order that did not go through (nothing was ordered); reload the checkout page to order.');
    const lines = r.lines.map((l) => ({ productId: l.product.id, name: l.product.name, qty: l.qty }));
    const attempt = this.store.beginAttempt({
      idempotencyKey: r.idempotencyKey,
      ref: had?.ref ?? randomToken(18),
      userId: r.shopper.id,
      logSession: r.logSession ?? null,
      cartKey: r.cartKey ?? null,
      lines,
      total: r.lines.reduce((s, l) => s + l.qty * l.product.price, 0),
      currency: r.lines[0]!.product.currency,
    });
    if (!attempt) {
      // The same form sent twice at once: the other request owns the attempt.
      const now = this.store.attempt(r.idempotencyKey);
      const done = this.store.byKey(r.idempotencyKey);
      if (done) return done;
      return { pending: true, ref: now!.ref };
    }
    let out: S2SResponse<ResponseOutput<typeof SHOP_ORDER_PLACE>>;
    try {
      out = await this.ctx.client.send(
        main.id,
        SHOP_ORDER_PLACE,
        {
          idempotencyKey: r.idempotencyKey,
          user: { id: r.shopper.id, email: r.shopper.email },
          lines: r.lines.map((l) => ({ productId: l.product.id, qty: l.qty })),
          settlement: r.settlement,
          address: r.address,
        },
        undefined,
        { timeoutMs: FORWARD_TIMEOUT_MS },
      );
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) {
        this.store.endAttempt(r.idempotencyKey, 'failed', refused.message);
        throw refused;
      }
      if (neverSent(err)) {
        this.store.endAttempt(r.idempotencyKey, 'failed', (err as Error).message);
        throw partnerShopErrors.main_unreachable(UNREACHABLE);
      }
      this.ctx.logger.warn(
        { event: 'order_outcome_unknown', attempt: attempt.ref, reason: (err as Error).message },
        'the answer to an entrusted order was lost: the outcome is unknown until the main site is asked by idempotency key',
      );
      return { pending: true, ref: attempt.ref };
    }
    Object.assign(this.mainStock, out.body.stock);
    const { order } = this.recordEntrusted(attempt, out.body.order);
    await this.confirm([out.body.order.id]);
    return order;
  }

  /** Writes the main site's order for an attempt as this partner's entrusted order (unconfirmed until the main site acknowledges). */
  private recordEntrusted(a: OrderAttempt, m: ResponseOutput<typeof SHOP_ORDER_PLACE>['order']): { order: PartnerOrder; inserted: boolean } {
    const r = this.ctx.db
      .transaction(() => {
        const settled = this.store.settleAttempt(a.idempotencyKey, {
          id: randomUUID(),
          mode: 'entrust',
          state: m.state,
          userId: a.userId,
          userEmail: m.userEmail,
          lines: m.lines,
          handlingFee: 0,
          total: m.total,
          currency: m.currency,
          settlement: m.settlement,
          address: m.address,
          warehouse: m.warehouse,
          mainId: m.id,
          mainNumber: m.number,
          idempotencyKey: a.idempotencyKey,
          take: [],
          mainConfirmed: false,
        });
        if (settled.inserted) this.emit(settled.order);
        return settled;
      })
      .immediate();
    // An order that was already cancelled (expired at the main site) when first recorded never counted: no order or cancel entry for it.
    if (r.inserted && m.state === 'cancelled') this.store.markCancelLogged(r.order.id);
    return r;
  }

  /** Tells the main site these entrusted orders are recorded here; failures are retried by the background job. */
  private async confirm(mainIds: string[]): Promise<void> {
    const main = this.ctx.peers.main();
    if (!main) return;
    try {
      const r = await this.ctx.client.send(main.id, SHOP_ORDER_CONFIRM, { ids: mainIds.slice(0, 500) }, undefined, { timeoutMs: SETTLE_TIMEOUT_MS });
      this.store.setMainConfirmed(r.body.confirmed);
    } catch (err) {
      this.ctx.logger.debug({ event: 'order_confirm_failed', reason: (err as Error).message }, 'could not confirm orders to the main site; retrying in the background');
    }
  }

  /**
   * Asks the main site what became of an attempt whose answer was lost. Found:
   * the order is recorded here (and logged, and its goods leave the cart, once).
   * Not found: the main site has closed the key, so nothing can be ordered with
   * it any more; the attempt is abandoned and the cart unlocked. Unreachable:
   * still unknown.
   */
  async settle(a: OrderAttempt): Promise<{ state: 'placed'; order: PartnerOrder } | { state: 'abandoned' } | { state: 'unknown' }> {
    const main = this.ctx.peers.main();
    if (!main) return { state: 'unknown' };
    let found: ResponseOutput<typeof SHOP_ORDER_BY_KEY>['order'];
    try {
      found = (await this.ctx.client.send(main.id, SHOP_ORDER_BY_KEY, { idempotencyKey: a.idempotencyKey }, undefined, { timeoutMs: SETTLE_TIMEOUT_MS })).body.order;
      this.settleFailing = false;
    } catch (err) {
      if (!this.settleFailing)
        this.ctx.logger.warn({ event: 'order_settle_unreachable', attempt: a.ref, reason: (err as Error).message }, 'could not ask the main site about an order whose answer was lost; retrying');
      this.settleFailing = true;
      return { state: 'unknown' };
    }
    if (!found) {
      if (this.store.endAttempt(a.idempotencyKey, 'abandoned', 'the main site has no order for this key and closed it')) {
        this.releaseCart(a, false);
        this.ctx.logger.info({ event: 'order_settled_not_placed', attempt: a.ref }, 'an order whose answer was lost was not placed at the main site; the cart is unlocked');
      }
      return { state: 'abandoned' };
    }
    const { order, inserted } = this.recordEntrusted(a, found);
    if (inserted) {
      if (order.state !== 'cancelled')
        logOrderEvent(this.ctx.log, {
          type: 'order',
          path: '/checkout',
          kind: 'tie-up',
          status: 201,
          release: this.view().release?.number ?? null,
          who: { user: a.userId, session: a.logSession },
          client: undefined,
          ua: undefined,
          order: { id: order.number, amount: order.total, currency: order.currency },
        });
      this.releaseCart(a, true);
      this.ctx.logger.info({ event: 'order_settled_placed', attempt: a.ref, order: order.number, main: order.mainNumber }, 'an order whose answer was lost was placed at the main site; recorded here');
    }
    await this.confirm([found.id]);
    return { state: 'placed', order };
  }

  /** After settlement: a placed order's goods leave the cart it came from; either way the cart gets a new checkout key (the old one is used up). */
  private releaseCart(a: OrderAttempt, placed: boolean): void {
    if (!a.cartKey) return;
    const cart = this.carts.get(a.cartKey);
    const ordered = new Set(placed ? a.lines.map((l) => l.productId) : []);
    this.carts.put(a.cartKey, { items: cart.items.filter((i) => !ordered.has(i.productId)), checkoutKey: null });
  }

  /** Settles the attempts made from a cart: what still locks it (the main site cannot be asked), and the orders that turned out placed. */
  async settleCart(cartKey: string): Promise<CartSettlement> {
    const placed: OrderView[] = [];
    for (const a of this.store.unknownAttempts({ cartKey })) {
      const r = await this.settle(a);
      if (r.state === 'unknown') return { locked: { pending: true, ref: a.ref }, placed };
      if (r.state === 'placed') placed.push(r.order);
    }
    return { locked: null, placed };
  }

  /** The shopper's "we are confirming your order" page: settled now if the main site can be asked. */
  async pendingOrder(userId: string, ref: string): Promise<PendingView | undefined> {
    const a = this.store.attemptByRef(ref);
    if (!a || a.userId !== userId) return undefined;
    if (a.state === 'unknown') {
      const r = await this.settle(a);
      if (r.state === 'placed') return { state: 'placed', order: r.order };
      if (r.state === 'unknown') return { state: 'unknown', lines: a.lines, total: a.total, currency: a.currency, since: a.createdAt };
      return { state: 'not_placed' };
    }
    const order = a.orderId ? this.store.byId(a.orderId) : undefined;
    return order ? { state: 'placed', order } : { state: 'not_placed' };
  }

  /** Modes local and consult (the seed's (1) and (3)): processed here, consult lines as the main site commands. */
  private async processHere(r: PlaceRequest): Promise<OrderView> {
    const currency = r.lines[0]!.product.currency;
    const linesTotal = r.lines.reduce((s, l) => s + l.qty * l.product.price, 0);
    let command: ConsultCommand | null = null;
    if (r.group === 'consult') {
      const lines = r.lines.map((l) => ({ productId: l.product.id, qty: l.qty }));
      command = (await this.callMain(SHOP_CONSULT, (id, opts) => this.ctx.client.send(id, SHOP_CONSULT, { lines }, undefined, opts))).body;
    }
    const fee = command?.handlingFee.amount ?? 0;
    // The fee commanded now is the one the shopper saw, or nothing is placed (the contract may have changed since the page was shown).
    checkShownTotal(r.shownTotal, { linesTotal, handlingFee: fee, currency });
    // Local goods come from this shop's stock; consulted goods only when the main site commands a stock check.
    const fromStock = !command || command.checkStock;
    const take = fromStock ? r.lines.map((l) => ({ productId: l.product.id, qty: l.qty })) : [];
    const lines = r.lines.map((l) => ({ productId: l.product.id, name: l.product.name, qty: l.qty, unitPrice: l.product.price, fromStock }));
    try {
      const order = this.ctx.db
        .transaction(() => {
          const placed = this.store.insert({
            id: randomUUID(),
            mode: command ? 'consult' : 'local',
            state: 'accepted',
            userId: r.shopper.id,
            userEmail: r.shopper.email,
            lines,
            handlingFee: fee,
            total: lines.reduce((s, l) => s + l.qty * l.unitPrice, 0) + fee,
            currency,
            settlement: r.settlement,
            address: r.address,
            warehouse: command?.warehouse ?? 'shop',
            mainId: command?.consultationId ?? null,
            mainNumber: null,
            idempotencyKey: r.idempotencyKey,
            take,
          });
          this.emit(placed);
          return placed;
        })
        .immediate();
      return order;
    } catch (err) {
      if (err instanceof OutOfStock) throw outOfStockError(err.productId, this.view().catalog.get(err.productId)?.name, this.store.stock.of(err.productId) ?? 0, ' here');
      throw err;
    }
  }

  /**
   * Brings the main site's states of entrusted orders up to date; a
   * cancellation seen for the first time goes into the access log (once).
   */
  async refreshEntrusted(orders: PartnerOrder[]): Promise<boolean> {
    const open = orders.filter((o) => o.mode === 'entrust' && o.mainId && o.state !== 'delivered' && (o.state !== 'cancelled' || !o.cancelLogged));
    if (open.length === 0) return true;
    try {
      // A page waits at most 2 s for states; without them it says they may be out of date.
      const ids = open.map((o) => o.mainId!);
      const r = await this.callMain(SHOP_ORDER_STATUS, (id, opts) => this.ctx.client.send(id, SHOP_ORDER_STATUS, { ids }, undefined, opts), 2000);
      const states = new Map(r.body.orders.map((s) => [s.id, s.state]));
      for (const o of open) {
        const s = states.get(o.mainId!);
        if (!s) continue;
        if (s !== o.state) this.store.setMainState(o.id, s);
        o.state = s;
        if (s === 'cancelled') this.logCancel(o);
      }
      return true;
    } catch {
      return false;
    }
  }

  private logCancel(o: PartnerOrder): void {
    if (!this.store.markCancelLogged(o.id)) return;
    logOrderEvent(this.ctx.log, {
      type: 'cancel',
      path: `/orders/${o.number}`,
      kind: 'tie-up',
      status: 200,
      release: this.view().release?.number ?? null,
      who: { user: o.userId, session: null },
      client: undefined,
      ua: undefined,
      order: { id: o.number, amount: o.total, currency: o.currency },
    });
  }

  async ordersFor(userId: string): Promise<{ orders: OrderView[]; note?: string; pending?: PendingOrder[] }> {
    // Orders whose answer was lost are settled first, so the list tells the truth when it can.
    const pending: PendingOrder[] = [];
    for (const a of this.store.unknownAttempts({ userId })) if ((await this.settle(a)).state === 'unknown') pending.push({ pending: true, ref: a.ref });
    const orders = this.store.forUser(userId);
    const fresh = await this.refreshEntrusted(orders);
    return {
      orders,
      ...(fresh ? {} : { note: 'The central warehouse cannot be reached right now; states of orders sent from it may be out of date.' }),
      ...(pending.length ? { pending } : {}),
    };
  }

  async order(userId: string, number: string): Promise<OrderView | undefined> {
    const o = this.store.byNumber(number);
    if (!o || o.userId !== userId) return undefined;
    await this.refreshEntrusted([o]);
    return o;
  }

  /** The manager moves an order this partner processes; entrusted orders move at the main site. */
  move(number: string, to: OrderState, actor: string, detail: string | null = null): PartnerOrder {
    const o = this.store.byNumber(number);
    if (!o) throw shopErrors.order_not_found(`there is no order ${number}`);
    if (o.mode === 'entrust') throw partnerShopErrors.processed_by_main(`order ${number} was entrusted to the main site (its order ${o.mainNumber}); its state changes there`);
    if (!canMove(o.state, to)) throw shopErrors.invalid_transition(`order ${number} is ${o.state}; it can move to ${nextStates(o.state).join(' or ') || 'no other state'}`);
    const returned = to === 'cancelled' ? o.lines.filter((l) => l.fromStock).map((l) => ({ productId: l.productId, qty: l.qty })) : [];
    const moved = this.ctx.db.transaction(() => {
      if (!this.store.move(o, to, actor, returned, detail)) return false;
      this.emit(this.store.byNumber(number)!, detail);
      return true;
    })();
    if (!moved) throw shopErrors.order_changed(`order ${number} changed meanwhile; reload and try again`);
    if (to === 'cancelled') this.logCancel({ ...o, state: to });
    return this.store.byNumber(number)!;
  }
}
