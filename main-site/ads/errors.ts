import { defineErrors } from '../../common/errors.js';

/** Every code the main site's ads answer with: console API, payment webhook, s2s. */
export const adsErrors = defineErrors('ads', {
  invalid_request: { status: 400 },
  ad_not_found: { status: 404, message: 'there is no such ad' },
  ad_exists: { status: 409, message: 'an ad with this id exists' },
  advertiser_unknown: { status: 400, message: 'the advertiser must be a portal party of kind advertiser' },
  payment_conflict: { status: 409, message: 'this payment id was already recorded with other values' },
  // 409 as in planned-shares: one code keeps one status across the main site (a payment in another currency than the price it settles).
  currency_mismatch: { status: 409 },
  not_payable: { status: 409, message: 'a withdrawn ad takes no payment' },
  bad_signature: { status: 401, message: 'the payment webhook signature does not verify' },
  webhook_off: { status: 404, message: 'the payment webhook is not configured (TIEUP_ADS_PAYMENT_SECRET)' },
  delivery_unknown: { status: 404, message: 'no such delivery of this ad by this site' },
  user_unknown: { status: 404, message: 'there is no such shopper at the main site' },
  stale_exchange: { status: 409, message: 'this exchange is older than one already answered; nothing was changed' },
});
