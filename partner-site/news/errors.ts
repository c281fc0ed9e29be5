import { defineErrors } from '../../common/errors.js';

/** The partner's news codes; refusals from the main site (news_not_granted, ...) come back with their own code and status. */
export const partnerNewsErrors = defineErrors('news', {
  // Written for the manager and the shopper: shown although a 5xx.
  news_unavailable: { status: 503, expose: true },
  invalid_campaign: { status: 400 },
});
