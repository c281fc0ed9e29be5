import { defineErrors } from '../../common/errors.js';

/** Every code the main site's paid content answers with: key issue and subscription refusals (s2s), and the console. */
export const paidErrors = defineErrors('paid', {
  item_not_found: { status: 404 },
  not_for_sale: { status: 403, message: 'this partner may not sell this item' },
  not_yet_on_sale: { status: 403 },
  user_unknown: { status: 404, message: 'there is no such shopper at the main site' },
  subscription_missing: { status: 403, message: 'the shopper has no subscription to this item through this partner' },
  subscription_over: { status: 403 },
  not_a_period_item: { status: 400, message: 'only period items are subscribed to' },
  already_subscribed: { status: 409 },
  subscription_not_found: { status: 404, message: 'there is no such subscription of this partner' },
  birth_date_missing: { status: 403, message: 'this item has a minimum age and the shopper has no birth date on record at the main site' },
  age_restricted: { status: 403 },
  idempotency_key_reused: { status: 409, message: 'this idempotency key was already used for another request' },
  key_not_found: { status: 404 },
  invalid_revocation: { status: 400 },
  partner_not_found: { status: 404, message: 'no such partner: it is not enrolled and no key was ever issued through it' },
});
