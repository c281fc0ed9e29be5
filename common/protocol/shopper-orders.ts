import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { currency, isoTime, siteId } from './primitives.js';
import { ORDER_STATES, SETTLEMENT_IDS, SHOP_LIMITS, opaqueId, productId } from './shop.js';

/**
 * Shopper orders across the network: a partner reports each state of the
 * orders placed on it to the main site (which holds the shopper's account and
 * e-mail, so it sends the shopper's order e-mails and can list every order of
 * an account), and asks the main site for one shopper's orders on every site.
 */

const orderNumber = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an order number is 1-64 letters, digits, "-" or "_"');
const money = z.int().min(0);
/** A tracking reference or a cancellation reason, as an operator typed it. */
const note = z.string().min(1).max(200).nullable();

/** One state an order on a partner reached, with the order as it was then. */
export const reportedOrderEvent = z.strictObject({
  id: opaqueId,
  number: orderNumber,
  mode: z.enum(['local', 'consult', 'entrust']),
  state: z.enum(ORDER_STATES),
  userId: opaqueId,
  lines: z
    .array(z.strictObject({ productId, name: z.string().min(1).max(200), qty: z.int().min(1).max(SHOP_LIMITS.maxQty), unitPrice: money }))
    .min(1)
    .max(SHOP_LIMITS.maxLines),
  handlingFee: money,
  total: money,
  currency,
  settlement: z.enum(SETTLEMENT_IDS),
  /** Entrusted orders: the main site's number (the two numbers are linked both ways). */
  mainNumber: orderNumber.nullable(),
  tracking: note,
  reason: note,
  createdAt: isoTime,
  /** When the order reached this state. */
  at: isoTime,
});

export const SHOPPER_ORDERS_REPORT = defineEndpoint({
  name: 'shopper-orders.report',
  method: 'POST',
  path: '/s2s/shopper-orders/report',
  request: z.strictObject({ events: z.array(reportedOrderEvent).min(1).max(200) }),
  /** Events recorded (or already recorded); an event naming no account of the network is refused and left out (the partner drops it). */
  response: z.strictObject({
    recorded: z.array(z.strictObject({ id: opaqueId, state: z.enum(ORDER_STATES) })).max(200),
    refused: z.array(z.strictObject({ id: opaqueId, reason: z.string().max(300) })).max(200),
  }),
  errors: [],
  callers: 'partner',
});

/** One order of a shopper, wherever it was placed: enough to list it, never an address or an e-mail. */
export const networkOrder = z.strictObject({
  number: orderNumber,
  /** The site the shopper placed it on. */
  placedAt: siteId,
  /** The site that processes and ships it. */
  shippedBy: siteId,
  /** The same order's number on the other site (NORTH-000001 <-> M-000001), when it has one. */
  linkedNumber: orderNumber.nullable(),
  state: z.enum(ORDER_STATES),
  total: money,
  currency,
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type NetworkOrder = z.infer<typeof networkOrder>;

export const SHOPPER_ORDERS_OF = defineEndpoint({
  name: 'shopper-orders.of',
  method: 'POST',
  path: '/s2s/shopper-orders/of',
  request: z.strictObject({ userId: opaqueId }),
  response: z.strictObject({ orders: z.array(networkOrder).max(500) }),
  errors: [],
  callers: 'partner',
});
