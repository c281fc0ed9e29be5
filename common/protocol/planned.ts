import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';

/**
 * Planned pages: a partner forwards a shopper's order for a contribution or a
 * whole planned page to the main site in the common order format (seed claims
 * 8-9: contents provider, items, the price the provider set), and fetches what
 * its shopper bought in the form the shopper chose (claim 7) from the main
 * site, which delivers and logs every access.
 */
const pageId = z.string().regex(/^pp-[0-9a-f]{12}$/, 'a planned page id is "pp-" and 12 hex digits');
const contributionId = z.string().regex(/^pc-[0-9a-f]{12}$/, 'a contribution id is "pc-" and 12 hex digits');
const orderId = z.string().regex(/^po-[0-9a-f]{16}$/);
const FORMATS = ['html', 'pdf', 'markdown'] as const;

export const plannedOrderItem = z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('page') }), z.strictObject({ kind: z.literal('contribution'), id: contributionId })]);

export const plannedCommonOrder = z.strictObject({
  /** Chosen by the site that took the order, once per shopper action; a retry carries the same one. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{16,80}$/, 'an idempotency key is 16-80 letters, digits, "-" or "_"'),
  /** The buyer's account id at the main site. */
  user: z.string().min(1).max(64),
  planner: z.string().min(1).max(64),
  page: pageId,
  items: z.array(plannedOrderItem).length(1, 'an order is one contribution or the whole page'),
  price: z.strictObject({ amount: z.int().min(1).max(100_000_000), currency: z.string().regex(/^[A-Z]{3}$/) }),
});

/** An order as the main site answers it: the receipt names the planner as seller (claim 10). */
export const plannedReceipt = z.strictObject({
  id: orderId,
  site: z.string().max(64),
  page: pageId,
  pageTitle: z.string().max(200),
  item: plannedOrderItem,
  itemTitle: z.string().max(200),
  seller: z.strictObject({ id: z.string().max(64), name: z.string().max(200) }),
  amount: z.int(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  formats: z.array(z.enum(FORMATS)),
  state: z.enum(['paid', 'refunded']),
  createdAt: z.string().max(40),
  replayed: z.boolean(),
});

export const PLANNED_ORDER_PLACE = defineEndpoint({
  name: 'planned.order',
  method: 'POST',
  path: '/s2s/planned/orders',
  request: plannedCommonOrder,
  response: plannedReceipt,
  errors: ['page_not_found', 'not_for_sale', 'contribution_not_found', 'price_changed', 'planner_mismatch', 'user_unknown', 'idempotency_key_reused'],
  callers: 'partner',
});

export const plannedDeliveryRequest = z.strictObject({
  user: z.string().min(1).max(64),
  order: orderId,
  format: z.enum([...FORMATS, 'file']),
  contribution: contributionId.optional(),
});

export const plannedDelivery = z.strictObject({
  receipt: plannedReceipt,
  fileName: z.string().max(200),
  contentType: z.string().max(100),
  inline: z.boolean(),
  data: z.base64().max(8 * 1024 * 1024),
});

export const PLANNED_DELIVERY = defineEndpoint({
  name: 'planned.delivery',
  method: 'POST',
  path: '/s2s/planned/delivery',
  request: plannedDeliveryRequest,
  response: plannedDelivery,
  errors: ['order_not_found', 'format_not_offered', 'order_refunded', 'contribution_not_found'],
  callers: 'partner',
});
