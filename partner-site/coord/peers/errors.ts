import { defineErrors } from '../../../common/errors.js';

const reused = { status: 409, message: 'this idempotency key was already used for another request' } as const;

/** Codes of the demo delivery service. */
export const deliveryErrors = defineErrors('delivery', {
  idempotency_key_reused: reused,
  delivery_not_found: { status: 404 },
});

/** Codes of the demo settlement agent. */
export const settlementErrors = defineErrors('settlement', {
  idempotency_key_reused: reused,
  authorisation_not_found: { status: 404 },
  over_authorised: { status: 409, message: 'captures and releases would exceed what was authorised' },
  declined: { status: 402 },
});
