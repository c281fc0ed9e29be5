import { defineErrors } from '../../common/errors.js';

/** Every code news answers with (docs/news.md). */
export const newsErrors = defineErrors('news', {
  /** A partner whose contract does not grant it its shoppers' data (news.shopperData) asked to preview or send. */
  news_not_granted: { status: 403 },
  invalid_campaign: { status: 400 },
  /** An unsubscribe or tracked link whose signature does not match (tampered, or not ours). */
  news_link_invalid: { status: 400 },
  shopper_not_found: { status: 404 },
});
