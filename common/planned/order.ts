import type { z } from 'zod';
import { plannedCommonOrder, plannedOrderItem, plannedReceipt } from '../protocol/index.js';

/**
 * The common order format (seed claims 8-9), declared with its endpoint in
 * common/protocol/planned.ts: whichever site took the order, the main site
 * receives the same record naming the contents provider (planner), the items
 * and the price the planner set, and checks the price against the page as it
 * stands, refusing a difference rather than charging what the shopper did not see.
 */
export const commonOrder = plannedCommonOrder;
export type CommonOrder = z.output<typeof plannedCommonOrder>;
export const orderItem = plannedOrderItem;
export type OrderItem = z.output<typeof plannedOrderItem>;
export const orderReceipt = plannedReceipt;
export type OrderReceipt = z.output<typeof plannedReceipt>;
