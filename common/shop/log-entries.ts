import { z } from 'zod';
import { defineEntryType, orderRef, v1Payload } from '../logchain/entry-types.js';

/** Order events (common/logchain/page-log.ts logOrderEvent): what order-based fees and reversals rest on. */
const orderEvent = v1Payload({ kind: z.enum(['tie-up', 'original']), order: orderRef });

/** An order placed at checkout. */
export const orderEntry = defineEntryType({ type: 'order', version: 1, capability: 'shop', payload: orderEvent });
/** An order cancelled (by the main site or the partner that processed it). */
export const cancelEntry = defineEntryType({ type: 'cancel', version: 1, capability: 'shop', payload: orderEvent });
/** An order refunded: part of encoding v1 and counted as a reversal by the fee engine; nothing writes it yet. */
export const refundEntry = defineEntryType({ type: 'refund', version: 1, capability: 'shop', payload: orderEvent });
