import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { currency, isoTime } from './primitives.js';

/**
 * Component coordination (issue 17): the main site coordinates, and talks to
 * three kinds of peer, each through its own declarations below:
 *
 *   - component suppliers (partners selling their own goods, supplier-only
 *     sites such as the demo grocer): quote requests, orders, cancellations;
 *     they answer orders with a decision (accept or refuse);
 *   - the delivery service: bookings (pickup and drop-off, nothing else);
 *   - the settlement agent: authorise a total, capture per supplier, release.
 *
 * Privacy (claim 22) is enforced here, not by convention: every object is a
 * strict object, so a body with a field outside its party's allowed set is
 * refused at both ends. The party x field table is in docs/coordination.md and
 * the privacy test (test/coord-privacy.test.ts) holds these schemas to it.
 * Only what a party's part needs appears:
 *   supplier   items, quantities, fulfilment method, for pickup the name to hand over to;
 *   delivery   pickup and drop-off addresses, the name and phone at the door, for cash on delivery the sum to
 *              collect; no items, item prices or payment details;
 *   settlement amounts and an opaque payment reference; no items, names or addresses.
 */

/** Ids the coordinator makes (orders, quote requests, authorisations): opaque, never a person's data. */
export const coordId = z.string().regex(/^[A-Za-z0-9_-]{8,80}$/, 'an id is 8-80 letters, digits, "-" or "_"');
/** Chosen once per forwarded step; a retry of the step carries the same one. */
export const coordIdempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{16,120}$/, 'an idempotency key is 16-120 letters, digits, "-" or "_"');
/** A unit as js-quantities names it ("g", "kg", "ml", "tbsp", "each") or a word ("clove"). */
export const unitName = z.string().trim().min(1).max(32);
export const amountQty = z.number().positive().max(1e9);
const minor = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().min(1).max(max);

// ---- suppliers --------------------------------------------------------------------------------
// The shapes mirror common/coord/types.ts (the planner's vocabulary); the ground floor cannot import a
// capability, so the wire is declared here and main-site/coord turns an answer into a SupplierQuote.

const money = z.strictObject({ amount: minor, currency });
const componentName = z.string().trim().min(1).max(120);
const amount = z.strictObject({ quantity: amountQty, unit: unitName });
const optionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an option id is 1-64 letters, digits, "-" or "_"');

export const coordQuoteRequest = z.strictObject({
  requestId: coordId,
  components: z
    .array(z.strictObject({ name: componentName, quantity: amountQty, unit: unitName, alternatives: z.array(componentName).max(10) }))
    .min(1)
    .max(200),
  /** The coordinator stops waiting at this instant; an answer after it is not used. */
  answerBy: isoTime,
});

export const coordOffer = z.strictObject({
  id: optionId,
  /** The requested component's name, as in the request. */
  component: componentName,
  /** Set when the product is one of the component's alternatives. */
  alternative: componentName.optional(),
  product: text(200),
  /** One pack in the supplier's unit ("1 kg"). */
  packSize: amount,
  packLabel: text(40),
  pricePerPack: money,
  /** Whole packs available now. */
  stockPacks: z.int().min(0).max(1_000_000),
});

const readyInMinutes = z
  .int()
  .min(0)
  .max(60 * 24 * 60);
/** Delivery is by the network's delivery service from the supplier's shop; pickup is at one of its shops. */
export const coordFulfilmentOption = z.discriminatedUnion('method', [
  z.strictObject({ id: optionId, method: z.literal('delivery'), fee: money, readyInMinutes }),
  z.strictObject({
    id: optionId,
    method: z.literal('pickup'),
    fee: money,
    shop: z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/), name: text(120), address: z.string().max(300).optional() }),
    readyInMinutes,
  }),
]);
export const PAYMENTS = ['cash_on_delivery', 'electronic'] as const;

export const coordQuoteAnswer = z.strictObject({
  supplierName: text(120),
  offers: z.array(coordOffer).max(2000),
  fulfilment: z.array(coordFulfilmentOption).min(1).max(20),
  payments: z.array(z.enum(PAYMENTS)).min(1).max(PAYMENTS.length),
  /** The offers hold until then; an order after it re-checks them first. */
  expiresAt: isoTime,
  /** Where the delivery service collects this supplier's orders. */
  dispatch: z.strictObject({ name: text(100), address: text(200) }),
});

export const COORD_QUOTE = defineEndpoint({
  name: 'coord.quote',
  method: 'POST',
  path: '/s2s/coord/quotes',
  request: coordQuoteRequest,
  response: coordQuoteAnswer,
  errors: ['not_a_supplier'],
  callers: 'main',
});

/** An order to one supplier: items, quantities, fulfilment; for pickup the name to hand over to. Nothing else about the shopper. */
export const coordSupplierOrder = z
  .strictObject({
    idempotencyKey: coordIdempotencyKey,
    orderId: coordId,
    lines: z
      .array(z.strictObject({ offerId: optionId, product: text(200), packs: z.int().min(1).max(10_000), pricePerPack: money }))
      .min(1)
      .max(500),
    fulfilment: z.strictObject({ method: z.enum(['delivery', 'pickup']), optionId }),
    payment: z.enum(PAYMENTS),
    /** Only for pickup: who collects. */
    pickupName: text(100).optional(),
    /** Accept or refuse before this instant; after it the order is withdrawn. */
    respondBy: isoTime,
  })
  .refine((o) => (o.fulfilment.method === 'pickup') === (o.pickupName !== undefined), { message: 'pickupName is sent for pickup and only for pickup', path: ['pickupName'] });

export const SUPPLIER_ORDER_STATES = ['pending', 'accepted', 'refused', 'withdrawn'] as const;
export const coordSupplierOrderAnswer = z.strictObject({ orderId: coordId, state: z.enum(SUPPLIER_ORDER_STATES), replayed: z.boolean() });

export const COORD_ORDER = defineEndpoint({
  name: 'coord.order',
  method: 'POST',
  path: '/s2s/coord/orders',
  request: coordSupplierOrder,
  response: coordSupplierOrderAnswer,
  errors: ['not_a_supplier', 'idempotency_key_reused', 'unknown_product', 'price_changed'],
  callers: 'main',
});

export const COORD_WITHDRAW = defineEndpoint({
  name: 'coord.withdraw',
  method: 'POST',
  path: '/s2s/coord/orders/withdraw',
  request: z.strictObject({ idempotencyKey: coordIdempotencyKey, orderId: coordId, reason: text(200) }),
  response: coordSupplierOrderAnswer,
  errors: ['order_not_found'],
  callers: 'main',
});

/** A supplier's answer to an order (from its console, or at once when it accepts automatically). */
export const coordDecision = z.strictObject({
  idempotencyKey: coordIdempotencyKey,
  orderId: coordId,
  decision: z.enum(['accepted', 'refused']),
  reason: z.string().max(200).optional(),
});

export const COORD_DECISION = defineEndpoint({
  name: 'coord.decision',
  method: 'POST',
  path: '/s2s/coord/decisions',
  request: coordDecision,
  response: z.strictObject({ orderId: coordId, state: z.enum(['accepted', 'refused', 'timed_out', 'withdrawn']), replayed: z.boolean() }),
  errors: ['order_not_found', 'too_late', 'already_decided'],
  callers: 'partner',
});

// ---- delivery service -------------------------------------------------------------------------

export const coordDeliveryBooking = z.strictObject({
  idempotencyKey: coordIdempotencyKey,
  /** The supplier order's id: what the courier quotes at the shop. */
  reference: coordId,
  pickup: z.strictObject({ name: text(100), address: text(200) }),
  dropoff: z.strictObject({ name: text(100), address: text(200), phone: z.string().regex(/^\+?[0-9 ()-]{5,24}$/, 'a phone number is 5-24 digits, spaces, "+", "(", ")" or "-"') }),
  /**
   * Only for cash on delivery: the one sum the courier collects at the door
   * (the supplier's part, goods and delivery fee). No item, price per item or
   * payment detail; absent when the part is paid electronically.
   */
  collect: money.optional(),
});

export const COORD_DELIVERY_BOOK = defineEndpoint({
  name: 'coord.delivery-book',
  method: 'POST',
  path: '/s2s/coord/deliveries',
  request: coordDeliveryBooking,
  response: z.strictObject({ deliveryId: coordId, state: z.enum(['booked', 'cancelled']), replayed: z.boolean() }),
  errors: ['idempotency_key_reused'],
  callers: 'main',
});

export const COORD_DELIVERY_CANCEL = defineEndpoint({
  name: 'coord.delivery-cancel',
  method: 'POST',
  path: '/s2s/coord/deliveries/cancel',
  request: z.strictObject({ idempotencyKey: coordIdempotencyKey, reference: coordId }),
  response: z.strictObject({ deliveryId: coordId, state: z.enum(['booked', 'cancelled']), replayed: z.boolean() }),
  errors: ['delivery_not_found'],
  callers: 'main',
});

// ---- settlement agent -------------------------------------------------------------------------

const settlementAnswer = z.strictObject({
  authorisationId: coordId,
  authorised: money,
  captured: money,
  released: money,
  replayed: z.boolean(),
});

export const COORD_SETTLE_AUTHORISE = defineEndpoint({
  name: 'coord.settle-authorise',
  method: 'POST',
  path: '/s2s/coord/settlement/authorise',
  request: z.strictObject({ idempotencyKey: coordIdempotencyKey, paymentRef: coordId, amount: money }),
  response: settlementAnswer,
  errors: ['idempotency_key_reused', 'declined'],
  callers: 'main',
});

export const COORD_SETTLE_CAPTURE = defineEndpoint({
  name: 'coord.settle-capture',
  method: 'POST',
  path: '/s2s/coord/settlement/capture',
  /** `part`: the supplier order's opaque id, so the agent can pay each supplier its share. */
  request: z.strictObject({ idempotencyKey: coordIdempotencyKey, authorisationId: coordId, part: coordId, amount: money }),
  response: settlementAnswer,
  errors: ['authorisation_not_found', 'over_authorised', 'idempotency_key_reused'],
  callers: 'main',
});

export const COORD_SETTLE_RELEASE = defineEndpoint({
  name: 'coord.settle-release',
  method: 'POST',
  path: '/s2s/coord/settlement/release',
  request: z.strictObject({ idempotencyKey: coordIdempotencyKey, authorisationId: coordId, part: coordId, amount: money }),
  response: settlementAnswer,
  errors: ['authorisation_not_found', 'over_authorised', 'idempotency_key_reused'],
  callers: 'main',
});

// ---- job-method providers ---------------------------------------------------------------------

/** A job-method page's component list (claims 8, 24): asked by page, and nothing about who is asking. */
export const coordComponentsAnswer = z.strictObject({
  title: text(200),
  servings: z.int().min(1).max(1000),
  components: z
    .array(
      z.strictObject({
        name: componentName,
        quantity: amountQty,
        unit: unitName,
        optional: z.boolean(),
        alternatives: z.array(componentName).max(10),
        density: z.string().trim().min(3).max(32).optional(),
        note: z.string().max(200).optional(),
      }),
    )
    .min(1)
    .max(200),
});

export const COORD_COMPONENTS = defineEndpoint({
  name: 'coord.components',
  method: 'POST',
  path: '/s2s/coord/components',
  request: z.strictObject({ page: z.string().regex(/^\/[A-Za-z0-9/_.-]{0,300}$/, 'a page path starts with "/"') }),
  response: coordComponentsAnswer,
  errors: ['page_not_found'],
  callers: 'main',
});

export const COORD_ENDPOINTS = [
  COORD_COMPONENTS,
  COORD_QUOTE,
  COORD_ORDER,
  COORD_WITHDRAW,
  COORD_DECISION,
  COORD_DELIVERY_BOOK,
  COORD_DELIVERY_CANCEL,
  COORD_SETTLE_AUTHORISE,
  COORD_SETTLE_CAPTURE,
  COORD_SETTLE_RELEASE,
] as const;

export type CoordQuoteRequest = z.output<typeof coordQuoteRequest>;
export type CoordQuoteAnswer = z.output<typeof coordQuoteAnswer>;
export type CoordOffer = z.output<typeof coordOffer>;
export type CoordSupplierOrder = z.output<typeof coordSupplierOrder>;
export type CoordDeliveryBooking = z.output<typeof coordDeliveryBooking>;
