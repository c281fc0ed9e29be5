import type { RequestHandler } from 'express';
import { confirmFirst } from '../web/confirm.js';

/** Both consoles' order pages: moving an order to "cancelled" asks first; other moves go straight on. */
export function confirmOrderCancel(back: string): RequestHandler {
  return confirmFirst(
    (req) => ({
      title: `Cancel order ${String(req.params.number)}?`,
      consequence: `Order ${String(req.params.number)} is cancelled for good: it will not be shipped, its goods go back to stock, and it cannot be reopened.`,
      confirmLabel: `Cancel order ${String(req.params.number)}`,
      back,
    }),
    (req) => (req.body as Record<string, unknown>).state === 'cancelled',
  );
}
