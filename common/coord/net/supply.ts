import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { coordFulfilmentOption, PAYMENTS, type CoordQuoteAnswer, type CoordQuoteRequest, type CoordSupplierOrder } from '../../protocol/coord.js';
import { currency } from '../../protocol/primitives.js';
import type { Logger } from '../../logger.js';
import { supplyErrors } from './errors.js';
import type { SupplyOrderRow, SupplyStore } from './supply-store.js';

const name = z.string().trim().min(1).max(120);

/** One product a supplier sells, and which components (by name) it can stand for. */
export const supplyGood = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a product id is 1-64 letters, digits, "-" or "_"'),
  product: z.string().min(1).max(200),
  /** Component names this product is (compared case- and space-insensitively). */
  components: z.array(name).min(1).max(20),
  packSize: z.strictObject({ quantity: z.number().positive().max(1e9), unit: z.string().trim().min(1).max(32) }),
  packLabel: z.string().min(1).max(40).default('pack'),
  /** Per pack, minor units of the profile's currency. */
  price: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  stock: z.int().min(0).max(1_000_000),
});

/**
 * A supplier's profile, written by its operator (console API or CLI): its
 * goods, how it hands them over and how it is paid. Strict: a profile with an
 * unknown key is refused, not half-read.
 */
export const supplyProfile = z.strictObject({
  name: z.string().min(1).max(120),
  /** Where the delivery service collects (shown to the courier, never to the shopper's other parties). */
  dispatch: z.strictObject({ name: z.string().min(1).max(100), address: z.string().min(1).max(200) }),
  currency,
  goods: z.array(supplyGood).max(2000),
  fulfilment: z.array(coordFulfilmentOption).min(1).max(20),
  payments: z.array(z.enum(PAYMENTS)).min(1).max(PAYMENTS.length),
  /** How long a quote holds. */
  quoteTtlSeconds: z.int().min(1).max(86_400).default(300),
  /** How long this supplier takes to answer a quote request (a demo and bench knob: a slow supplier on loopback). */
  answerDelayMs: z.int().min(0).max(60_000).default(0),
  /** Accept every order it can fill at once, without the operator. */
  autoAccept: z.boolean().default(false),
});
export type SupplyProfile = z.output<typeof supplyProfile>;
export type SupplyProfileInput = z.input<typeof supplyProfile>;

const keyOf = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
const hashOf = (o: unknown) => createHash('sha256').update(JSON.stringify(o)).digest('hex');

/** Where a supplier's decisions go: the coordinator (over s2s for a partner, in-process for the main site's stock). */
export type DecisionSink = (d: { idempotencyKey: string; orderId: string; decision: 'accepted' | 'refused'; reason?: string }) => Promise<void>;

export interface SupplyOrderView extends SupplyOrderRow {
  order: CoordSupplierOrder;
}

/**
 * The supplier's part of coordination, the same on every site that supplies:
 * answer a quote request from its own goods (all or part), take an order
 * exactly once per idempotency key, and pass its operator's decision (or its
 * automatic one) to the coordinator until the coordinator has it.
 */
export class SupplyService {
  private sink: DecisionSink | undefined;
  private retry: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private again = false;

  constructor(
    readonly store: SupplyStore,
    private readonly logger: Logger,
  ) {}

  /** Sets where decisions go and retries those not yet acknowledged every `retryMs`. */
  connect(sink: DecisionSink, retryMs = 2000): void {
    this.sink = sink;
    this.retry = setInterval(() => void this.flush(), retryMs);
    this.retry.unref();
  }

  close(): void {
    if (this.retry) clearInterval(this.retry);
  }

  profile(): SupplyProfile | null {
    const json = this.store.profileJson();
    return json ? supplyProfile.parse(JSON.parse(json)) : null;
  }

  setProfile(input: unknown): SupplyProfile {
    const r = supplyProfile.safeParse(input);
    if (!r.success) throw supplyErrors.invalid_profile(r.error.issues.map((i) => `${i.path.join('.') || 'profile'}: ${i.message}`).join('; '));
    this.store.saveProfile(JSON.stringify(r.data));
    return r.data;
  }

  /** The offers for what was asked: every product standing for a requested component or one of its alternatives. */
  async quote(req: CoordQuoteRequest): Promise<CoordQuoteAnswer> {
    const p = this.profile();
    if (!p) throw supplyErrors.not_a_supplier();
    if (p.answerDelayMs > 0) await sleep(p.answerDelayMs);
    const offers: CoordQuoteAnswer['offers'] = [];
    for (const c of req.components) {
      const wanted = new Map([[keyOf(c.name), undefined as string | undefined], ...c.alternatives.map((a) => [keyOf(a), a] as [string, string])]);
      for (const g of p.goods) {
        const hit = g.components.map(keyOf).find((k) => wanted.has(k));
        if (hit === undefined || g.stock === 0) continue;
        const alternative = wanted.get(hit);
        offers.push({
          id: g.id,
          component: c.name,
          ...(alternative !== undefined ? { alternative } : {}),
          product: g.product,
          packSize: g.packSize,
          packLabel: g.packLabel,
          pricePerPack: { amount: g.price, currency: p.currency },
          stockPacks: g.stock,
        });
      }
    }
    return { supplierName: p.name, offers, fulfilment: p.fulfilment, payments: p.payments, dispatch: p.dispatch, expiresAt: new Date(Date.now() + p.quoteTtlSeconds * 1000).toISOString() };
  }

  /** Takes an order once: the same idempotency key answers what it answered; another body under it is refused. */
  receive(order: CoordSupplierOrder): { orderId: string; state: SupplyOrderRow['state']; replayed: boolean } {
    const hash = hashOf(order);
    const seen = this.store.byKey(order.idempotencyKey);
    if (seen) {
      if (seen.requestHash !== hash) throw supplyErrors.idempotency_key_reused();
      return { orderId: seen.orderId, state: seen.state, replayed: true };
    }
    const p = this.profile();
    if (!p) throw supplyErrors.not_a_supplier();
    for (const l of order.lines) {
      const g = p.goods.find((x) => x.id === l.offerId);
      if (!g) throw supplyErrors.unknown_product(`no product "${l.offerId}" here`);
      if (g.price !== l.pricePerPack.amount || p.currency !== l.pricePerPack.currency) throw supplyErrors.price_changed(`${g.product} costs ${g.price} ${p.currency} per ${g.packLabel} now`);
    }
    if (this.store.get(order.orderId)) throw supplyErrors.idempotency_key_reused('this order id was already used under another idempotency key');
    this.store.insert({ orderId: order.orderId, idempotencyKey: order.idempotencyKey, requestHash: hash, received: JSON.stringify(order), respondBy: order.respondBy });
    this.logger.info({ event: 'coord_order_received', order: order.orderId }, 'component order received');
    if (p.autoAccept) {
      const short = order.lines.find((l) => (p.goods.find((g) => g.id === l.offerId)?.stock ?? 0) < l.packs);
      // Decided after the answer is sent, so the coordinator has recorded the order before its decision arrives.
      setImmediate(() => {
        try {
          this.decide(order.orderId, short ? 'refused' : 'accepted', short ? `not enough ${short.product} in stock` : undefined, 'automatic');
        } catch (err) {
          this.logger.warn({ event: 'coord_auto_decision_failed', order: order.orderId, reason: (err as Error).message }, 'automatic decision failed');
        }
      });
    }
    return { orderId: order.orderId, state: 'pending', replayed: false };
  }

  /** The operator's (or the automatic) answer; accepted goods leave the stock. Sent to the coordinator at once and retried until acknowledged. */
  decide(orderId: string, decision: 'accepted' | 'refused', reason: string | undefined, by: string): SupplyOrderView {
    const o = this.store.get(orderId);
    if (!o) throw supplyErrors.order_not_found(`no order "${orderId}"`);
    if (o.state !== 'pending') throw supplyErrors.already_decided(`order ${orderId} is already ${o.state}`);
    const order = JSON.parse(o.received) as CoordSupplierOrder;
    if (decision === 'accepted') {
      const p = this.profile();
      if (p) {
        const goods = p.goods.map((g) => {
          const taken = order.lines.filter((l) => l.offerId === g.id).reduce((s, l) => s + l.packs, 0);
          return taken ? { ...g, stock: Math.max(0, g.stock - taken) } : g;
        });
        this.store.saveProfile(JSON.stringify({ ...p, goods }));
      }
    }
    this.store.decide(orderId, decision, reason ?? null, by);
    void this.flush();
    return this.view(orderId)!;
  }

  /** The coordinator withdrew the order (the shopper's time limit passed, or the group was cancelled). */
  withdraw(orderId: string, reason: string): { orderId: string; state: SupplyOrderRow['state']; replayed: boolean } {
    const o = this.store.get(orderId);
    if (!o) throw supplyErrors.order_not_found(`no order "${orderId}"`);
    const changed = this.store.decide(orderId, 'withdrawn', reason, 'coordinator');
    return { orderId, state: changed ? 'withdrawn' : o.state, replayed: !changed };
  }

  view(orderId: string): SupplyOrderView | undefined {
    const o = this.store.get(orderId);
    return o && { ...o, order: JSON.parse(o.received) as CoordSupplierOrder };
  }

  orders(): SupplyOrderView[] {
    return this.store.list().map((o) => ({ ...o, order: JSON.parse(o.received) as CoordSupplierOrder }));
  }

  /** Sends every decision the coordinator has not acknowledged; one pass at a time, and another pass when a decision arrived during one. */
  flush(): Promise<void> {
    if (!this.sink) return Promise.resolve();
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      // Yield first: a pass with nothing to send would otherwise finish before `flushing` is even assigned, and stick.
      await Promise.resolve();
      try {
        do {
          this.again = false;
          for (const o of this.store.unsent()) {
            try {
              await this.sink!({ idempotencyKey: `${o.orderId}-decision`, orderId: o.orderId, decision: o.state as 'accepted' | 'refused', ...(o.reason ? { reason: o.reason } : {}) });
              this.store.markSent(o.orderId);
            } catch (err) {
              this.logger.warn({ event: 'coord_decision_unsent', order: o.orderId, reason: (err as Error).message }, 'decision not delivered yet; retried');
            }
          }
        } while (this.again);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}
