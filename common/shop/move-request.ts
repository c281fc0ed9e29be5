import { z } from 'zod';
import { isOrderState, ORDER_STATES, type OrderState } from './order-states.js';
import { shopErrors } from './errors.js';

/** A tracking reference or a reason: one line of printable text, at most 200 characters. */
const note = z
  .string()
  .trim()
  .max(200, 'at most 200 characters')
  // No control characters (a newline would start a new line of the e-mail).
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127), 'one line of text, no control characters');

const moveBody = z.object({ state: z.unknown(), tracking: note.optional(), reason: note.optional() });

/**
 * A request to move an order on, from a console form or the JSON API: the
 * state, and what goes with it (a shipment's tracking reference, a
 * cancellation's reason), which the shopper's e-mail carries. A note that does
 * not belong to the state is refused, so nothing typed is silently dropped.
 */
export function parseMove(body: unknown): { to: OrderState; detail: string | null } {
  const parsed = moveBody.safeParse(body ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw shopErrors.invalid_move_detail(`${i.path.join('.') || 'body'}: ${i.message}`);
  }
  const { state, tracking, reason } = parsed.data;
  if (!isOrderState(state)) throw shopErrors.invalid_state(`state must be one of ${ORDER_STATES.join(', ')}`);
  if (tracking && state !== 'shipped') throw shopErrors.invalid_move_detail('a tracking reference goes only with "shipped"');
  if (reason && state !== 'cancelled') throw shopErrors.invalid_move_detail('a reason goes only with "cancelled"');
  return { to: state, detail: (state === 'shipped' ? tracking : state === 'cancelled' ? reason : undefined) || null };
}
