import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** What the confirmation step says: what will happen, in words that name what cannot be undone. */
export interface Confirmation {
  /** The question, e.g. "Suspend partner north?" */
  title: string;
  /** What the action does and what cannot be undone. */
  consequence: string;
  /** The label of the button that does it, e.g. "Suspend north". */
  confirmLabel: string;
  /** Where "Cancel" goes back to. */
  back: string;
}

/** The form field a confirmation step adds; a console form that carries it has been confirmed. */
export const CONFIRM_FIELD = 'confirmed';

/**
 * A destructive or irreversible console action asks first, without JavaScript:
 * its form posts to the action as before, and the first post (without
 * `confirmed=yes`) answers a page that says what will happen, with a form that
 * posts the same fields again, confirmed, under the session's CSRF token.
 * Runs after the console's session and CSRF check, so both posts are checked.
 * The JSON APIs are not behind it: a script has already decided. `when`
 * limits it to the posts that destroy (an order moved to "cancelled", not to
 * "shipped").
 */
export function confirmFirst(describe: (req: Request) => Confirmation, when: (req: Request) => boolean = () => true): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body[CONFIRM_FIELD] === 'yes' || !when(req)) return next();
    const c = describe(req);
    const fields = Object.entries(body)
      .filter(([k, v]) => k !== '_csrf' && k !== CONFIRM_FIELD && typeof v === 'string')
      .map(([name, value]) => ({ name, value: value as string }));
    res.render('confirm', { title: c.title, confirmation: c, action: req.originalUrl, fields });
  };
}
