import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  componentKey,
  planPurchase,
  priorities as prioritiesSchema,
  paymentMethod,
  supplierId,
  type Component,
  type FulfilmentOption,
  type PaymentMethod,
  type Plan,
  type PlanRequest,
  type Priorities,
  type SupplierPlan,
  type SupplierQuote,
} from '../../common/coord/index.js';
import { SupplyService, type SupplyOrderView } from '../../common/coord/net/index.js';
import { AppError } from '../../common/errors.js';
import {
  COORD_DELIVERY_BOOK,
  COORD_ORDER,
  COORD_QUOTE,
  COORD_SETTLE_AUTHORISE,
  COORD_SETTLE_CAPTURE,
  COORD_SETTLE_RELEASE,
  COORD_WITHDRAW,
  coordIdempotencyKey,
  type AnyEndpoint,
  type CoordQuoteAnswer,
  type RequestInput,
  type ResponseOutput,
} from '../../common/protocol/index.js';
import { S2SCallError } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { CoordStore, GroupRow, OrderRow, OrderState, PartyKind, StepRole } from './coord-store.js';
import { coordErrors } from './errors.js';

const newId = (prefix: string) => `${prefix}${randomBytes(15).toString('base64url')}`;
const hashOf = (o: unknown) => createHash('sha256').update(JSON.stringify(o)).digest('hex');
const problemsOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** Parses untrusted input with a strict schema; refusal is a 400 naming the field, and nothing changes. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw coordErrors.invalid_request(problemsOf(r.error));
  return r.data;
}

/** A supplier left out of a quote round, and why: it answered after the deadline, or not at all. */
export interface MissingSupplier {
  supplier: string;
  reason: 'late' | 'failed';
  message: string;
}

export interface QuoteRound {
  id: string;
  request: PlanRequest;
  quotes: SupplierQuote[];
  /** Where the delivery service collects each supplier's orders. */
  dispatch: Record<string, { name: string; address: string }>;
  missing: MissingSupplier[];
  askedAt: string;
  /** From the first question to the last answer used (or the deadline). */
  elapsedMs: number;
}

const phone = z.string().regex(/^\+?[0-9 ()-]{5,24}$/, 'a phone number is 5-24 digits, spaces, "+", "(", ")" or "-"');
export const contactInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  address: z.string().trim().min(1).max(200).optional(),
  phone: phone.optional(),
});
export type Contact = z.output<typeof contactInput>;

const choicesInput = z
  .array(z.strictObject({ supplier: supplierId, fulfilment: z.string().min(1).max(64).optional(), payment: paymentMethod.optional() }))
  .max(50)
  .default([]);

/**
 * The total the shopper was shown for these choices. When given, an order
 * whose parts (goods and hand-over fees) add up to anything else is refused
 * with total_changed and nothing is ordered: the total charged is the total shown.
 */
const expectedTotal = z.strictObject({ amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER), currency: z.string().min(3).max(3) });

export const orderInput = z.strictObject({
  idempotencyKey: coordIdempotencyKey,
  quoteSetId: z.string().min(1).max(80),
  priorities: prioritiesSchema,
  choices: choicesInput,
  contact: contactInput,
  expectedTotal: expectedTotal.optional(),
});
export type OrderInput = z.input<typeof orderInput>;

export const replanConfirmInput = z.strictObject({
  quoteSetId: z.string().min(1).max(80),
  choices: choicesInput,
  expectedTotal: expectedTotal.optional(),
});

/** One supplier's part as ordered: the plan's part with the shopper's hand-over and payment applied. */
export interface OrderedPart extends SupplierPlan {
  quoteSetId: string;
  payment: PaymentMethod;
}

export interface OrderView {
  id: string;
  round: number;
  supplier: string;
  supplierName: string;
  state: OrderState;
  reason: string | null;
  respondBy: string;
  replacedIn: number | null;
  payment: PaymentMethod;
  part: OrderedPart;
}

export type GroupStateView = 'waiting' | 'accepted' | 'needs_replan' | 'payment_declined' | 'cancelled';

export interface GroupView {
  id: string;
  userId: string;
  state: GroupStateView;
  createdAt: string;
  currency: string;
  orders: OrderView[];
  total: { amount: number; currency: string };
  replayed: boolean;
}

const ACTIVE_FAILED: readonly OrderState[] = ['refused', 'timed_out', 'failed'];

/**
 * The coordinator (claims 1, 6, 21): asks every enrolled component supplier
 * at once, plans by the shopper's priorities, and places one order group with
 * one order per supplier; books the delivery service and the settlement agent
 * per order; re-plans only what a refusal left missing. Every step forwarded
 * to a peer carries an idempotency key derived from the order and the step, is
 * recorded with the exact body sent before it is sent, and is retried with the
 * same key until the peer has answered.
 */
export class Coordinator {
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: CoordStore,
    /** The main site's own central stock, answering like any supplier but in-process. */
    readonly central: SupplyService,
  ) {}

  get selfId(): string {
    return this.ctx.config.siteId;
  }

  start(): void {
    this.central.connect((d) => this.decide(this.selfId, d).then(() => undefined));
    this.sweeper = setInterval(() => void this.sweep(), this.ctx.config.coordSweepMs);
    this.sweeper.unref();
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.central.close();
  }

  // ---- parties ------------------------------------------------------------------------------

  setParty(peerId: string, kind: PartyKind, by: string): void {
    const peer = this.ctx.peers.get(peerId);
    if (!peer || peer.role !== 'partner') throw coordErrors.party_not_found(`no enrolled peer "${peerId}": enrol it first (tieup partner add)`);
    this.store.setParty(peerId, kind, by);
  }

  removeParty(peerId: string): void {
    if (!this.store.removeParty(peerId)) throw coordErrors.party_not_found(`"${peerId}" takes no part in coordination`);
  }

  /** Active peers of one kind; for suppliers, the main site's central stock first when it has a profile. */
  partiesOf(kind: PartyKind): string[] {
    const active = new Set(
      this.ctx.peers
        .list()
        .filter((p) => p.status === 'active')
        .map((p) => p.id),
    );
    const peers = this.store
      .parties()
      .filter((p) => p.kind === kind && active.has(p.peerId))
      .map((p) => p.peerId);
    return kind === 'supplier' && this.central.profile() ? [this.selfId, ...peers] : peers;
  }

  /**
   * The suppliers asked for quotes, each with the name a shopper knows it by:
   * the central stock's profile name, a peer's name from its last quote answer,
   * else the name the operator gave the peer at enrolment (null: none known yet).
   */
  suppliers(): { id: string; kind: 'central' | 'peer'; name: string | null }[] {
    const named = new Map(this.store.parties().map((p) => [p.peerId, p.name]));
    return this.partiesOf('supplier').map((id) =>
      id === this.selfId
        ? { id, kind: 'central' as const, name: this.central.profile()?.name ?? null }
        : { id, kind: 'peer' as const, name: named.get(id) ?? this.ctx.peers.get(id)?.displayName ?? null },
    );
  }

  // ---- quotes (claims 11-12, 27-28) ------------------------------------------------------------

  /**
   * Asks every supplier at once; each has until the deadline. Those that have
   * not answered by then (or failed) are named and left out; nothing waits for them.
   */
  async quote(request: PlanRequest, o: { deadlineMs?: number; exclude?: readonly string[]; only?: readonly string[] } = {}): Promise<QuoteRound> {
    const deadlineMs = o.deadlineMs ?? this.ctx.config.coordQuoteDeadlineMs;
    const suppliers = this.partiesOf('supplier').filter((s) => !o.exclude?.includes(s) && (!o.only || o.only.includes(s)));
    if (suppliers.length === 0) throw coordErrors.no_suppliers();
    const started = Date.now();
    const id = newId('q');
    const body = {
      requestId: id,
      components: request.components.map((c) => ({ name: c.name, quantity: c.quantity, unit: c.unit, alternatives: c.alternatives })),
      answerBy: new Date(started + deadlineMs).toISOString(),
    };
    const answers = await Promise.all(suppliers.map((s) => this.askOne(s, body, deadlineMs)));
    const round: QuoteRound = { id, request, quotes: [], dispatch: {}, missing: [], askedAt: new Date(started).toISOString(), elapsedMs: Date.now() - started };
    for (const a of answers) {
      if ('missing' in a) round.missing.push(a.missing);
      else {
        round.quotes.push(toSupplierQuote(a.supplier, `${id}-${a.supplier}`, a.answer));
        round.dispatch[a.supplier] = a.answer.dispatch;
        if (a.supplier !== this.selfId) this.store.setPartyName(a.supplier, a.answer.supplierName);
      }
    }
    this.store.addQuoteSet({
      id,
      request: JSON.stringify(request),
      quotes: JSON.stringify({ quotes: round.quotes, dispatch: round.dispatch }),
      missing: JSON.stringify(round.missing),
      askedAt: round.askedAt,
      elapsedMs: round.elapsedMs,
    });
    if (round.missing.length)
      this.ctx.logger.info(
        { event: 'coord_suppliers_left_out', round: id, missing: round.missing },
        `suppliers left out of quote ${id}: ${round.missing.map((m) => `${m.supplier} (${m.reason})`).join(', ')}`,
      );
    return round;
  }

  private async askOne(supplier: string, body: RequestInput<typeof COORD_QUOTE>, deadlineMs: number): Promise<{ supplier: string; answer: CoordQuoteAnswer } | { missing: MissingSupplier }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs);
    });
    const asked: Promise<CoordQuoteAnswer> =
      supplier === this.selfId
        ? this.central.quote(COORD_QUOTE.request.parse(body))
        : // The client gives up a little after the deadline, so a late answer does not hold a connection for long.
          this.ctx.client.send(supplier, COORD_QUOTE, body, undefined, { timeoutMs: deadlineMs + 1000 }).then((r) => r.body);
    try {
      const r = await Promise.race([asked, late]);
      if (r === 'late') {
        asked.catch(() => undefined);
        return { missing: { supplier, reason: 'late', message: `no answer within ${deadlineMs} ms` } };
      }
      return { supplier, answer: r };
    } catch (err) {
      return { missing: { supplier, reason: 'failed', message: (err as Error).message.slice(0, 300) } };
    } finally {
      clearTimeout(timer);
    }
  }

  round(id: string): QuoteRound {
    const row = this.store.quoteSet(id);
    if (!row) throw coordErrors.quote_not_found();
    const q = JSON.parse(row.quotes) as { quotes: SupplierQuote[]; dispatch: QuoteRound['dispatch'] };
    return {
      id,
      request: JSON.parse(row.request) as PlanRequest,
      quotes: q.quotes,
      dispatch: q.dispatch,
      missing: JSON.parse(row.missing) as MissingSupplier[],
      askedAt: row.askedAt,
      elapsedMs: row.elapsedMs,
    };
  }

  /** The optimal plan for a round by the shopper's priorities, judged at `at` (default: when the round was asked, the plan the shopper sees). */
  plan(round: QuoteRound, priorities: Priorities, at?: Date): Plan {
    return planPurchase(round.request, round.quotes, priorities, { now: at ?? new Date(round.askedAt) });
  }

  // ---- ordering (claims 2-6, 21) ------------------------------------------------------------------

  /** Places one order group; the same idempotency key (per shopper) answers the same group. */
  async order(userId: string, raw: unknown): Promise<GroupView> {
    const input = parseInput(orderInput, raw);
    const { idempotencyKey, ...rest } = input;
    const requestHash = hashOf(rest);
    const seen = this.store.groupByKey(userId, idempotencyKey);
    if (seen) {
      if (seen.requestHash !== requestHash) throw coordErrors.idempotency_key_reused();
      return { ...this.view(seen), replayed: true };
    }
    const round = this.round(input.quoteSetId);
    const plan = await this.recheck(round, input.priorities);
    const parts = this.applyChoices(round, plan, input.choices);
    checkTotal(parts, input.expectedTotal);
    this.checkParties(parts, input.contact);
    const groupId = newId('g');
    const needsPayment = parts.some((p) => p.payment === 'electronic');
    try {
      this.store.insertGroup({
        id: groupId,
        userId,
        idempotencyKey,
        requestHash,
        quoteSetId: round.id,
        priorities: JSON.stringify(input.priorities),
        contact: JSON.stringify(input.contact),
        paymentRef: needsPayment ? newId('pay') : null,
        currency: round.request.currency,
      });
    } catch (err) {
      // Two submissions raced past the check above: the second answers the first's group.
      const first = this.store.groupByKey(userId, idempotencyKey);
      if (first && first.requestHash === requestHash) return { ...this.view(first), replayed: true };
      throw err;
    }
    await this.placeRound(this.store.group(groupId)!, 1, parts);
    return this.view(this.store.group(groupId)!);
  }

  /**
   * The plan the shopper saw, checked again now: a supplier whose quote has
   * expired is asked again, and if anything the plan rests on changed, the
   * order is refused with the new plan to look at (nothing is ordered).
   */
  private async recheck(round: QuoteRound, priorities: Priorities): Promise<Plan> {
    const seen = this.plan(round, priorities);
    if (seen.suppliers.length === 0) throw coordErrors.nothing_to_order();
    const now = Date.now();
    const expired = seen.suppliers.filter((s) => Date.parse(round.quotes.find((q) => q.supplier.id === s.supplier.id)?.expiresAt ?? '') <= now).map((s) => s.supplier.id);
    if (expired.length === 0) return seen;
    const fresh = await this.quote(round.request, { only: expired });
    const quotes = [...round.quotes.filter((q) => !expired.includes(q.supplier.id)), ...fresh.quotes];
    const dispatch = { ...round.dispatch, ...fresh.dispatch };
    this.store.updateQuotes(round.id, JSON.stringify({ quotes, dispatch }));
    const updated: QuoteRound = { ...round, quotes, dispatch };
    const now2 = new Date();
    const current = this.plan(updated, priorities, now2);
    this.ctx.logger.info({ event: 'coord_quotes_rechecked', round: round.id, suppliers: expired, changed: signature(current) !== signature(seen) }, 'expired quotes re-checked at order time');
    if (signature(current) !== signature(seen)) throw coordErrors.quote_changed(undefined, { suppliers: expired, total: current.totals.total, uncovered: current.uncovered.map((u) => u.component) });
    // The round's time moves on to the re-check, so the plan the shopper is shown from now on is the re-checked one.
    round.quotes = quotes;
    round.dispatch = dispatch;
    return current;
  }

  /**
   * Each supplier's part as it would be ordered: the plan's part with the
   * shopper's hand-over and payment applied, and its total (goods and the
   * chosen hand-over's fee). The plan page shows exactly these parts.
   */
  priced(round: QuoteRound, plan: Plan, choices: unknown): OrderedPart[] {
    return this.applyChoices(round, plan, parseInput(choicesInput, choices));
  }

  private applyChoices(round: QuoteRound, plan: Plan, choices: z.output<typeof choicesInput>): OrderedPart[] {
    for (const c of choices) if (!plan.suppliers.some((s) => s.supplier.id === c.supplier)) throw coordErrors.invalid_request(`choices: ${c.supplier} is not in the plan`);
    return plan.suppliers.map((sp) => {
      const quote = round.quotes.find((q) => q.supplier.id === sp.supplier.id)!;
      const choice = choices.find((c) => c.supplier === sp.supplier.id);
      let fulfilment: FulfilmentOption = sp.fulfilment;
      if (choice?.fulfilment) {
        const f = quote.fulfilment.find((x) => x.id === choice.fulfilment);
        if (!f) throw coordErrors.invalid_request(`choices: ${sp.supplier.name} offers no hand-over "${choice.fulfilment}"`);
        fulfilment = f;
      }
      const payment = choice?.payment ?? (sp.payments.includes('cash_on_delivery') ? 'cash_on_delivery' : sp.payments[0]!);
      if (!quote.payments.includes(payment)) throw coordErrors.invalid_request(`choices: ${sp.supplier.name} does not take ${payment}`);
      const total = { amount: sp.goods.amount + fulfilment.fee.amount, currency: sp.goods.currency };
      return { ...sp, fulfilment, fee: fulfilment.fee, total, payment, quoteSetId: round.id };
    });
  }

  private checkParties(parts: OrderedPart[], contact: Contact): void {
    if (parts.some((p) => p.fulfilment.method === 'delivery')) {
      if (!contact.address || !contact.phone) throw coordErrors.invalid_request('contact: delivery needs an address and a phone number');
      if (this.partiesOf('delivery').length === 0) throw coordErrors.no_delivery_service();
    }
    if (parts.some((p) => p.payment === 'electronic') && this.partiesOf('settlement').length === 0) throw coordErrors.no_settlement_agent();
  }

  /** Records one round of orders, authorises the electronic part, then sends every order at once. */
  private async placeRound(group: GroupRow, round: number, parts: OrderedPart[]): Promise<void> {
    const respondBy = new Date(Date.now() + this.ctx.config.coordAcceptSeconds * 1000).toISOString();
    const orders = parts.map((p) => ({ id: newId('o'), part: p }));
    this.store.tx(() => {
      for (const o of orders)
        this.store.insertOrder({ id: o.id, groupId: group.id, round, supplier: o.part.supplier.id, part: JSON.stringify(o.part), payment: o.part.payment, state: 'pending', respondBy });
    });
    const electronic = orders.filter((o) => o.part.payment === 'electronic');
    if (electronic.length) {
      const agent = this.partiesOf('settlement')[0]!;
      const amount = { amount: electronic.reduce((s, o) => s + o.part.total.amount, 0), currency: group.currency };
      try {
        const key = `${group.id}-authorise-${round}`;
        const step = {
          key,
          groupId: group.id,
          orderId: null,
          party: agent,
          role: 'settlement' as const,
          endpoint: COORD_SETTLE_AUTHORISE,
          body: { idempotencyKey: key, paymentRef: group.paymentRef!, amount },
        };
        // The shopper waits for this one: a lost answer is asked again at once with the same key (the agent answers a
        // repeat with the same authorisation), up to three times, rather than by the sweep.
        let a: ResponseOutput<typeof COORD_SETTLE_AUTHORISE> | undefined;
        for (let attempt = 1; !a; attempt++) {
          try {
            a = await this.forward(step);
          } catch (err) {
            if (definitive(err) || attempt >= 3) {
              // Given up: the sweep must not authorise behind the shopper's back later.
              this.store.finishStep(key, 'failed', null, (err as Error).message.slice(0, 500));
              throw err;
            }
          }
        }
        this.store.setAuthorisation(
          electronic.map((o) => o.id),
          a.authorisationId,
        );
      } catch (err) {
        // Without the authorisation nothing is ordered from anyone in this round.
        for (const o of orders) this.store.moveOrder(o.id, 'pending', 'cancelled', `payment not authorised: ${(err as Error).message.slice(0, 200)}`);
        if (round === 1) this.store.setGroupState(group.id, 'payment_declined');
        return;
      }
    }
    const contact = JSON.parse(group.contact) as Contact;
    await Promise.all(
      orders.map(async (o) => {
        const key = `${o.id}-place`;
        const body: RequestInput<typeof COORD_ORDER> = {
          idempotencyKey: key,
          orderId: o.id,
          lines: o.part.lines.map((l) => ({ offerId: l.offerId, product: l.product, packs: l.packs, pricePerPack: l.pricePerPack })),
          fulfilment: { method: o.part.fulfilment.method, optionId: o.part.fulfilment.id },
          payment: o.part.payment,
          ...(o.part.fulfilment.method === 'pickup' ? { pickupName: contact.name } : {}),
          respondBy,
        };
        try {
          await this.forward({ key, groupId: group.id, orderId: o.id, party: o.part.supplier.id, role: 'supplier', endpoint: COORD_ORDER, body });
        } catch (err) {
          // A refusal (not a lost answer, which is retried with the same key) fails this order; the shopper may re-plan it.
          if (definitive(err)) await this.settleFailed(o.id, 'failed', `the supplier refused the order: ${(err as Error).message.slice(0, 200)}`);
        }
      }),
    );
  }

  // ---- decisions --------------------------------------------------------------------------------

  /** A supplier's answer to its order; only the supplier the order went to can answer it. */
  async decide(
    supplier: string,
    d: { orderId: string; decision: 'accepted' | 'refused'; reason?: string },
  ): Promise<{ orderId: string; state: 'accepted' | 'refused' | 'timed_out' | 'withdrawn'; replayed: boolean }> {
    const o = this.store.order(d.orderId);
    if (!o || o.supplier !== supplier) throw coordErrors.order_not_found(`no order "${d.orderId}" was sent to ${supplier}`);
    if (o.state === d.decision) return { orderId: o.id, state: d.decision, replayed: true };
    if (o.state === 'timed_out') throw coordErrors.too_late();
    if (o.state !== 'pending') throw coordErrors.already_decided(`order ${o.id} is ${o.state}`);
    if (d.decision === 'accepted') {
      if (!this.store.moveOrder(o.id, 'pending', 'accepted', null)) throw coordErrors.already_decided(`order ${o.id} was answered meanwhile`);
      await this.afterAccepted(o.id);
    } else {
      await this.settleFailed(o.id, 'refused', d.reason ?? 'refused by the supplier');
    }
    return { orderId: o.id, state: d.decision, replayed: false };
  }

  private async afterAccepted(orderId: string): Promise<void> {
    const o = this.store.order(orderId)!;
    const part = JSON.parse(o.part) as OrderedPart;
    const group = this.store.group(o.groupId)!;
    const steps: Promise<unknown>[] = [];
    if (o.payment === 'electronic' && o.authorisation) {
      const key = `${o.id}-capture`;
      const agent = this.partiesOf('settlement')[0];
      if (agent)
        steps.push(
          this.forward({
            key,
            groupId: o.groupId,
            orderId: o.id,
            party: agent,
            role: 'settlement',
            endpoint: COORD_SETTLE_CAPTURE,
            body: { idempotencyKey: key, authorisationId: o.authorisation, part: o.id, amount: part.total },
          }),
        );
    }
    if (part.fulfilment.method === 'delivery') {
      const contact = JSON.parse(group.contact) as Contact;
      const dispatch = this.round(part.quoteSetId).dispatch[o.supplier] ?? { name: part.supplier.name, address: 'address on file with the supplier' };
      const key = `${o.id}-delivery`;
      const courier = this.partiesOf('delivery')[0];
      if (courier)
        steps.push(
          this.forward({
            key,
            groupId: o.groupId,
            orderId: o.id,
            party: courier,
            role: 'delivery',
            endpoint: COORD_DELIVERY_BOOK,
            body: {
              idempotencyKey: key,
              reference: o.id,
              pickup: dispatch,
              dropoff: { name: contact.name, address: contact.address!, phone: contact.phone! },
              // Cash on delivery: the courier collects the part's total at the door, and needs to know how much.
              ...(o.payment === 'cash_on_delivery' ? { collect: part.total } : {}),
            },
          }),
        );
    }
    // A step that fails stays pending and is retried by the sweep with the same key.
    await Promise.allSettled(steps);
  }

  /** An order that will not be filled: its electronic part is released, and the shopper may re-plan it. */
  private async settleFailed(orderId: string, to: 'refused' | 'timed_out' | 'failed', reason: string): Promise<void> {
    if (!this.store.moveOrder(orderId, 'pending', to, reason)) return;
    const o = this.store.order(orderId)!;
    const steps: Promise<unknown>[] = [];
    if (to === 'timed_out') {
      const key = `${o.id}-withdraw`;
      const body = { idempotencyKey: key, orderId: o.id, reason: 'no answer within the time limit' };
      steps.push(this.forward({ key, groupId: o.groupId, orderId: o.id, party: o.supplier, role: 'supplier', endpoint: COORD_WITHDRAW, body }));
    }
    if (o.payment === 'electronic' && o.authorisation) {
      const part = JSON.parse(o.part) as OrderedPart;
      const agent = this.partiesOf('settlement')[0];
      const key = `${o.id}-release`;
      if (agent)
        steps.push(
          this.forward({
            key,
            groupId: o.groupId,
            orderId: o.id,
            party: agent,
            role: 'settlement',
            endpoint: COORD_SETTLE_RELEASE,
            body: { idempotencyKey: key, authorisationId: o.authorisation, part: o.id, amount: part.total },
          }),
        );
    }
    this.ctx.logger.info({ event: 'coord_order_unfilled', order: o.id, supplier: o.supplier, state: to, reason }, `order ${o.id} at ${o.supplier} ${to}`);
    await Promise.allSettled(steps);
  }

  // ---- re-planning the missing part --------------------------------------------------------------

  /** What a refusal (or timeout) left missing: only those components, in the quantities the failed orders covered. */
  missingRequest(group: GroupRow): { request: PlanRequest; failed: OrderRow[] } {
    const failed = this.store.orders(group.id).filter((o) => ACTIVE_FAILED.includes(o.state) && o.replacedIn === null);
    if (failed.length === 0) throw coordErrors.nothing_missing();
    const original = this.round(group.quoteSetId).request;
    const need = new Map<string, number>();
    for (const o of failed) for (const l of (JSON.parse(o.part) as OrderedPart).lines) need.set(componentKey(l.component), (need.get(componentKey(l.component)) ?? 0) + l.covers.quantity);
    const components: Component[] = [];
    for (const c of original.components) {
      const q = need.get(componentKey(c.name));
      if (q !== undefined && q > 0) components.push({ ...c, quantity: q });
    }
    return { request: { currency: original.currency, components }, failed };
  }

  /** Asks the suppliers again for the missing part only (not those that failed this group) and plans it. Nothing is ordered until the shopper confirms. */
  async replan(userId: string, groupId: string): Promise<{ round: QuoteRound; plan: Plan; failed: string[] }> {
    const group = this.ownGroup(userId, groupId);
    const { request, failed } = this.missingRequest(group);
    const exclude = [
      ...new Set(
        this.store
          .orders(group.id)
          .filter((o) => ACTIVE_FAILED.includes(o.state))
          .map((o) => o.supplier),
      ),
    ];
    const round = await this.quote(request, { exclude });
    const priorities = JSON.parse(group.priorities) as Priorities;
    return { round, plan: this.plan(round, priorities), failed: failed.map((o) => o.id) };
  }

  /** The shopper's consent to a re-plan: the missing part is ordered in the same group, as a new round. Submitting it twice orders once. */
  async confirmReplan(userId: string, groupId: string, raw: unknown): Promise<GroupView> {
    const input = parseInput(replanConfirmInput, raw);
    const group = this.ownGroup(userId, groupId);
    const orders = this.store.orders(group.id);
    if (orders.some((o) => (JSON.parse(o.part) as OrderedPart).quoteSetId === input.quoteSetId)) return { ...this.view(group), replayed: true };
    const { failed } = this.missingRequest(group);
    const round = this.round(input.quoteSetId);
    const plan = await this.recheck(round, JSON.parse(group.priorities) as Priorities);
    const parts = this.applyChoices(round, plan, input.choices);
    checkTotal(parts, input.expectedTotal);
    this.checkParties(parts, JSON.parse(group.contact) as Contact);
    const next = Math.max(...orders.map((o) => o.round)) + 1;
    this.store.markReplaced(
      failed.map((o) => o.id),
      next,
    );
    await this.placeRound(group, next, parts);
    return this.view(this.store.group(group.id)!);
  }

  // ---- forwarding, exactly once ---------------------------------------------------------------

  /**
   * Sends one step to a peer: recorded first with the exact body, sent with
   * its idempotency key, and answered from the record when it was already done.
   * The central stock (the main site itself) is called in-process.
   */
  async forward<E extends AnyEndpoint>(s: { key: string; groupId: string; orderId: string | null; party: string; role: StepRole; endpoint: E; body: RequestInput<E> }): Promise<ResponseOutput<E>> {
    const row = this.store.addStep({ idempotencyKey: s.key, groupId: s.groupId, orderId: s.orderId, party: s.party, role: s.role, endpoint: s.endpoint.name, body: JSON.stringify(s.body) });
    if (row.state === 'done') return JSON.parse(row.answer!) as ResponseOutput<E>;
    return this.send(row.idempotencyKey, s.party, s.endpoint, JSON.parse(row.body) as RequestInput<E>);
  }

  private async send<E extends AnyEndpoint>(key: string, party: string, endpoint: E, body: RequestInput<E>): Promise<ResponseOutput<E>> {
    try {
      const answer = party === this.selfId ? ((await this.local(endpoint, body)) as ResponseOutput<E>) : ((await sendAny(this.ctx, party, endpoint, body)).body as ResponseOutput<E>);
      this.store.finishStep(key, 'done', JSON.stringify(answer), null);
      return answer;
    } catch (err) {
      this.store.finishStep(key, definitive(err) ? 'failed' : 'pending', null, (err as Error).message.slice(0, 500));
      throw err;
    }
  }

  /** The central stock's side of the supplier protocol, in-process (parsed by the same schemas as over the wire). */
  private async local(endpoint: AnyEndpoint, body: unknown): Promise<unknown> {
    if (endpoint.name === COORD_ORDER.name) return this.central.receive(COORD_ORDER.request.parse(body));
    if (endpoint.name === COORD_WITHDRAW.name) {
      const b = COORD_WITHDRAW.request.parse(body);
      return this.central.withdraw(b.orderId, b.reason);
    }
    throw new Error(`the central stock does not answer ${endpoint.name}`);
  }

  /** Overdue orders time out (withdrawn, released, offered for re-planning); steps not yet answered are sent again. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const o of this.store.overdue(new Date().toISOString())) await this.settleFailed(o.id, 'timed_out', 'no answer within the time limit');
      for (const s of this.store.pendingSteps()) {
        const endpoint = STEP_ENDPOINTS.find((e) => e.name === s.endpoint);
        if (!endpoint) continue;
        await this.send(s.idempotencyKey, s.party, endpoint, JSON.parse(s.body) as never).catch(() => undefined);
      }
    } finally {
      this.sweeping = false;
    }
  }

  // ---- views ------------------------------------------------------------------------------------

  ownGroup(userId: string, groupId: string): GroupRow {
    const g = this.store.group(groupId);
    // Another shopper's group is answered exactly like one that does not exist.
    if (!g || g.userId !== userId) throw coordErrors.group_not_found(`no order group "${groupId}"`);
    return g;
  }

  view(g: GroupRow): GroupView {
    const orders: OrderView[] = this.store.orders(g.id).map((o) => {
      const part = JSON.parse(o.part) as OrderedPart;
      return {
        id: o.id,
        round: o.round,
        supplier: o.supplier,
        supplierName: part.supplier.name,
        state: o.state,
        reason: o.reason,
        respondBy: o.respondBy,
        replacedIn: o.replacedIn,
        payment: o.payment,
        part,
      };
    });
    const live = orders.filter((o) => o.replacedIn === null && o.state !== 'cancelled');
    const state: GroupStateView =
      g.state === 'payment_declined' || g.state === 'cancelled'
        ? g.state
        : live.some((o) => ACTIVE_FAILED.includes(o.state))
          ? 'needs_replan'
          : live.some((o) => o.state === 'pending')
            ? 'waiting'
            : 'accepted';
    const total = { amount: live.filter((o) => o.state !== 'refused' && o.state !== 'timed_out' && o.state !== 'failed').reduce((s, o) => s + o.part.total.amount, 0), currency: g.currency };
    return { id: g.id, userId: g.userId, state, createdAt: g.createdAt, currency: g.currency, orders, total, replayed: false };
  }

  groupsOf(userId: string): GroupView[] {
    return this.store.groups({ userId }).map((g) => this.view(g));
  }

  /** What the operator sees for a group: every order, and per order exactly what each party was sent. */
  operatorView(groupId: string) {
    const g = this.store.group(groupId);
    if (!g) throw coordErrors.group_not_found(`no order group "${groupId}"`);
    return { group: this.view(g), contact: JSON.parse(g.contact) as Contact, steps: this.store.steps(groupId) };
  }

  /** The central stock's incoming orders (the main site as a supplier). */
  centralOrders(): SupplyOrderView[] {
    return this.central.orders();
  }
}

/** Every coordination endpoint has no path parameters; this drops send()'s per-endpoint parameter typing for the generic step runner. */
const sendAny = (ctx: SiteContext, party: string, e: AnyEndpoint, body: unknown) =>
  (ctx.client.send as unknown as (p: string, e: AnyEndpoint, b: unknown) => Promise<{ body: unknown }>).call(ctx.client, party, e, body);

const STEP_ENDPOINTS: readonly AnyEndpoint[] = [COORD_ORDER, COORD_WITHDRAW, COORD_DELIVERY_BOOK, COORD_SETTLE_AUTHORISE, COORD_SETTLE_CAPTURE, COORD_SETTLE_RELEASE];

/** A refusal by the peer (it answered, and said no) as opposed to a lost or missing answer, which is worth sending again. */
function definitive(err: unknown): boolean {
  if (err instanceof S2SCallError) return err.clientCode === 'peer_error' || err.clientCode === 'request_invalid';
  return err instanceof AppError || err instanceof z.ZodError;
}

function toSupplierQuote(id: string, quoteId: string, a: CoordQuoteAnswer): SupplierQuote {
  return { supplier: { id, name: a.supplierName }, quoteId, offers: a.offers, fulfilment: a.fulfilment, payments: a.payments, expiresAt: a.expiresAt };
}

/** The total charged is the total shown: parts that add up to anything else are not ordered. */
function checkTotal(parts: OrderedPart[], expected: { amount: number; currency: string } | undefined): void {
  if (!expected) return;
  const total = parts.reduce((sum, p) => sum + p.total.amount, 0);
  const currency = parts[0]?.total.currency ?? expected.currency;
  if (total !== expected.amount || currency !== expected.currency)
    throw coordErrors.total_changed(undefined, {
      shown: expected,
      total: { amount: total, currency },
      parts: parts.map((p) => ({ supplier: p.supplier.id, fulfilment: p.fulfilment.id, fee: p.fee, total: p.total })),
    });
}

/** What an order rests on: per supplier, each line's product, packs and price, and the hand-over fee. */
function signature(p: Plan): string {
  return JSON.stringify(p.suppliers.map((s) => [s.supplier.id, s.fulfilment.id, s.fee.amount, s.lines.map((l) => [l.offerId, l.packs, l.pricePerPack.amount, l.pricePerPack.currency])]).sort());
}
