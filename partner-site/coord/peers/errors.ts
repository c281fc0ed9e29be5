import { defineErrors } from '../../../common/errors.js';

/** Codes of the demo delivery service and settlement agent. */
export const peerErrors = defineErrors('coord-peers', {
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another request' },
  delivery_not_found: { status: 404 },
  authorisation_not_found: { status: 404 },
  over_authorised: { status: 409, message: 'captures and releases would exceed what was authorised' },
  declined: { status: 402 },
});
