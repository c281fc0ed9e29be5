import { z } from 'zod';
import { defineEntryType, orderRef, v1Payload } from '../logchain/entry-types.js';

/**
 * Paid content's access-log entries. They fit the v1 payload block:
 *   path     /paid/<key id>/<item>/<page>   (the key id, never the key)
 *   user     "<partner>/<user>" at the main site; the user at a partner
 *   session  the key id (key_issued, paid_page), the refusal reason (paid_refused),
 *            or the subscription id (subscribed, unsubscribed, charge for a period)
 *   order    the charge: { id: key id or subscription id, amount, currency }
 */
const none = { kind: z.literal('none'), release: z.null(), bytes: z.literal(0) };

/** Main site: a key issued, with its charge (amount 0 for a period item, charged at subscription). */
export const keyIssuedEntry = defineEntryType({ type: 'key_issued', version: 1, capability: 'paid', payload: v1Payload({ ...none, order: orderRef }) });
/** Main site: a subscription registered by a partner, with the period's charge the partner made. */
export const subscribedEntry = defineEntryType({ type: 'subscribed', version: 1, capability: 'paid', payload: v1Payload({ ...none, order: orderRef }) });
/** Main site: a subscription ended by its partner (access runs to the period's end). */
export const unsubscribedEntry = defineEntryType({ type: 'unsubscribed', version: 1, capability: 'paid', payload: v1Payload({ ...none, order: z.null() }) });
/** Main site: a paid page (or asset) served with a valid key. */
export const paidPageEntry = defineEntryType({ type: 'paid_page', version: 1, capability: 'paid', payload: v1Payload({ kind: z.enum(['asset', 'none']), order: z.null() }) });
/** Main site: a paid page refused; `session` is the reason (invalid, wrong_item, window_passed, expired, other_address, revoked). */
export const paidRefusedEntry = defineEntryType({ type: 'paid_refused', version: 1, capability: 'paid', payload: v1Payload({ kind: z.literal('none'), order: z.null() }) });
/** Partner: a charge on its member's bill (per access: one per issued key; per period: one per subscription period). */
export const chargeEntry = defineEntryType({ type: 'charge', version: 1, capability: 'paid', payload: v1Payload({ ...none, order: orderRef }) });
