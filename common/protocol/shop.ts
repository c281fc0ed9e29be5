import { z } from 'zod';
import { boundedRecord, defineEndpoint } from './endpoint.js';
import { count, currency, isoTime, sentContract, siteId } from './primitives.js';

/**
 * Shop: partners entrust orders to the main site, consult it, read its stock
 * and their shop terms, and follow their entrusted orders' states; the main
 * site's console reads the orders a partner processes itself.
 */

/** As catalog.ts and the stock API spell product ids. */
export const productId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'product ids are 1-64 letters, digits, "-" or "_"');
/** A cart holds at most 50 products, each 1 to 99 (common/shop/shop-routes.ts). */
export const SHOP_LIMITS = { maxLines: 50, maxQty: 99, maxStockEntries: 100_000, maxStatusIds: 500, maxListedOrders: 200 } as const;
const qty = z.int().min(1).max(SHOP_LIMITS.maxQty);
const money = z.int().min(0);
/**
 * An order's states and settlement methods are wire values (orders travel
 * between sites with them), so their one list is here; common/shop/order-states.ts
 * gives them their rules and words.
 */
export const ORDER_STATES = ['accepted', 'shipped', 'delivered', 'cancelled'] as const;
export const SETTLEMENT_IDS = ['pay_on_delivery', 'bank_transfer', 'pickup'] as const;
const orderState = z.enum(ORDER_STATES);
const settlement = z.enum(SETTLEMENT_IDS);
/** Ids are opaque, but tokens: letters, digits, "-" and "_" (UUIDs today), never text a console or log would have to escape. */
export const opaqueId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an id is 1-64 letters, digits, "-" or "_"');
const orderId = opaqueId;
/** "MAIN-000042", "NORTH-000007". */
const orderNumber = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an order number is 1-64 letters, digits, "-" or "_"');
const userId = opaqueId;
const userEmail = z.string().min(3).max(320);

export const requestedLines = z
  .array(z.strictObject({ productId, qty }))
  .min(1)
  .max(SHOP_LIMITS.maxLines)
  .refine((ls) => new Set(ls.map((l) => l.productId)).size === ls.length, 'each product appears once');

export const deliveryAddress = z.strictObject({
  name: z.string().min(1).max(100),
  street: z.string().min(1).max(200),
  postcode: z.string().min(1).max(20),
  city: z.string().min(1).max(100),
  country: z.string().min(1).max(60),
});

/** An order a partner entrusts to the main site, exactly once per idempotency key. */
export const entrustedOrderRequest = z
  .strictObject({
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'idempotencyKey is 16-80 letters, digits, "-" or "_"'),
    user: z.strictObject({ id: userId, email: userEmail }),
    lines: requestedLines,
    settlement,
    address: deliveryAddress.nullable(),
  })
  .refine((o) => o.settlement === 'pickup' || o.address !== null, { message: 'a delivery address is needed unless the order is picked up', path: ['address'] });

const orderLine = z.strictObject({
  productId,
  name: z.string().min(1).max(200),
  qty,
  unitPrice: money,
  /** Partners only: whether the line came from the partner's own stock. */
  fromStock: z.boolean().optional(),
});

const orderShape = {
  id: orderId,
  number: orderNumber,
  site: siteId,
  state: orderState,
  lines: z.array(orderLine).min(1).max(SHOP_LIMITS.maxLines),
  handlingFee: money,
  total: money,
  currency,
  settlement,
  warehouse: z.string().min(1).max(40).nullable(),
  userId,
  userEmail,
  createdAt: isoTime,
  updatedAt: isoTime,
};

/** An order as the main site holds it. */
export const mainOrder = z.strictObject({ ...orderShape, mode: z.enum(['direct', 'entrust']), address: deliveryAddress.nullable() });

export const stockLevels = boundedRecord(productId, count, SHOP_LIMITS.maxStockEntries);

export const entrustedOrderAnswer = z.strictObject({
  order: mainOrder,
  /** true when the key was seen before and this is the first order again (status 200, not 201). */
  replayed: z.boolean(),
  stock: stockLevels,
});

export const SHOP_ORDER_PLACE = defineEndpoint({
  name: 'shop.order-place',
  method: 'POST',
  path: '/s2s/shop/orders',
  request: entrustedOrderRequest,
  response: entrustedOrderAnswer,
  errors: ['unknown_user', 'unknown_product', 'idempotency_key_reused', 'idempotency_key_closed', 'out_of_stock'],
  callers: 'partner',
});

const idempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'idempotencyKey is 16-80 letters, digits, "-" or "_"');

/**
 * A partner that lost the answer to an entrusted order asks what became of it.
 * The answer is final: the order the key made, or null, in which case the main
 * site closes the key at once (a late copy of the request is then refused with
 * idempotency_key_closed), so "not found" can never turn into an order later.
 */
export const SHOP_ORDER_BY_KEY = defineEndpoint({
  name: 'shop.order-by-key',
  method: 'POST',
  path: '/s2s/shop/orders/by-key',
  request: z.strictObject({ idempotencyKey }),
  response: z.strictObject({ order: mainOrder.nullable() }),
  errors: [],
  callers: 'partner',
});

/**
 * The partner has recorded these entrusted orders (by the main site's ids): the
 * main site stops listing them as unconfirmed and never expires them. Ids of
 * other partners' orders, or unknown ones, are left out of the answer.
 */
export const SHOP_ORDER_CONFIRM = defineEndpoint({
  name: 'shop.order-confirm',
  method: 'POST',
  path: '/s2s/shop/orders/confirm',
  request: z.strictObject({ ids: z.array(orderId).min(1).max(SHOP_LIMITS.maxStatusIds) }),
  response: z.strictObject({ confirmed: z.array(orderId).max(SHOP_LIMITS.maxStatusIds) }),
  errors: [],
  callers: 'partner',
});

export const consultRequest = z.strictObject({ lines: requestedLines });

/** The main site's command for an order in consult mode. */
export const consultCommand = z.strictObject({
  checkStock: z.boolean(),
  warehouse: z.string().regex(/^[a-z0-9-]{1,40}$/),
  handlingFee: z.strictObject({ amount: money.max(1_000_000), currency }),
  consultationId: z.uuid(),
});

export const SHOP_CONSULT = defineEndpoint({
  name: 'shop.consult',
  method: 'POST',
  path: '/s2s/shop/consult',
  request: consultRequest,
  response: consultCommand,
  errors: ['unknown_product'],
  callers: 'partner',
});

/**
 * What a consultation would command, without recording one: the partner asks
 * before it shows the checkout, so the shopper sees the handling fee the order
 * will carry (the order's own consultation, at placing, is compared with it).
 */
export const consultQuote = z.strictObject({
  checkStock: z.boolean(),
  warehouse: z.string().regex(/^[a-z0-9-]{1,40}$/),
  handlingFee: z.strictObject({ amount: money.max(1_000_000), currency }),
});

export const SHOP_CONSULT_QUOTE = defineEndpoint({
  name: 'shop.consult-quote',
  method: 'POST',
  path: '/s2s/shop/consult/quote',
  request: consultRequest,
  response: consultQuote,
  errors: ['unknown_product'],
  callers: 'partner',
});

export const shopStateAnswer = z.strictObject({
  stock: stockLevels,
  /** The partner's contract, when the main site has one to send (see sentContract). */
  contract: sentContract.optional(),
  /** The main site's clock when it answered. */
  time: isoTime,
});

export const SHOP_STATE = defineEndpoint({
  name: 'shop.state',
  method: 'GET',
  path: '/s2s/shop/state',
  request: 'none',
  response: shopStateAnswer,
  errors: [],
  callers: 'partner',
});

export const orderStatusRequest = z.strictObject({ ids: z.array(orderId).max(SHOP_LIMITS.maxStatusIds) });

export const orderStatusAnswer = z.strictObject({
  orders: z.array(z.strictObject({ id: orderId, number: orderNumber, state: orderState, updatedAt: isoTime })).max(SHOP_LIMITS.maxStatusIds),
});

export const SHOP_ORDER_STATUS = defineEndpoint({
  name: 'shop.order-status',
  method: 'POST',
  path: '/s2s/shop/orders/status',
  request: orderStatusRequest,
  response: orderStatusAnswer,
  errors: [],
  callers: 'partner',
});

/** An order a partner processes itself, as it shows it to the main site (no address, no idempotency key). */
export const partnerOrder = z.strictObject({
  ...orderShape,
  mode: z.enum(['local', 'consult']),
  mainId: orderId.nullable(),
  mainNumber: orderNumber.nullable(),
  cancelLogged: z.boolean(),
});

export const partnerOrdersAnswer = z.strictObject({ orders: z.array(partnerOrder).max(SHOP_LIMITS.maxListedOrders) });

/** Served by the partner; the same path as SHOP_ORDER_PLACE with another method and the other server. */
export const SHOP_PARTNER_ORDERS = defineEndpoint({
  name: 'shop.partner-orders',
  method: 'GET',
  path: '/s2s/shop/orders',
  request: 'none',
  response: partnerOrdersAnswer,
  errors: [],
  callers: 'main',
});
