import { escapeHtml } from '../../common/render/page-renderer.js';

/** A day a shopper reads ("5 December 2026"), with the UTC instant in the element. */
function day(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  const text = d.toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
  return `<time datetime="${d.toISOString()}">${escapeHtml(text)}</time>`;
}

export interface ShopperWording {
  title: string;
  /** HTML: the text is escaped here, once. */
  html: string;
}

/**
 * What a shopper reads when paid content is refused. The main site's messages
 * are written for the partner's developers ("the shopper has no subscription
 * to this item through this partner"); a shopper needs to know what happened
 * and what to do next, in this site's words. The stable code stays on the page
 * (data-code) for support and tests.
 */
export function shopperWording(code: string, details: Record<string, unknown> | undefined, fallback: string): ShopperWording {
  const age = typeof details?.minimumAge === 'number' ? details.minimumAge : undefined;
  switch (code) {
    case 'not_for_sale':
      return { title: 'Not sold here', html: 'This item is not sold on this site.' };
    case 'not_yet_on_sale': {
      const from = day(details?.from);
      return { title: 'Not on sale yet', html: from ? `This item goes on sale here on ${from}.` : 'This item is not on sale here yet.' };
    }
    case 'item_not_found':
      return { title: 'No longer available', html: 'This item is no longer available.' };
    case 'user_unknown':
      return { title: 'Account not ready', html: 'Your account is still being set up with the publisher. Please try again in a minute.' };
    case 'subscription_missing':
    case 'not_subscribed':
      return { title: 'Subscription needed', html: 'Reading this item needs a subscription. Subscribe on the item’s page, then press “Read” again.' };
    case 'subscription_over': {
      const ended = day(details?.endedAt);
      return { title: 'Subscription ended', html: `Your subscription ${ended ? `ended on ${ended}` : 'has ended'}. Subscribe again to keep reading.` };
    }
    case 'already_subscribed':
      return { title: 'Already subscribed', html: 'You already have a subscription to this item.' };
    case 'birth_date_missing':
      return {
        title: 'Date of birth needed',
        // Birth dates are recorded by the publisher's operator (an age check), not typed in by the shopper.
        html: `This item is for readers${age ? ` aged ${age} or over` : ' of a minimum age'}, and your age has not been confirmed for your account yet. Please contact us to have it confirmed.`,
      };
    case 'age_restricted':
      return { title: 'Age limit', html: `This item is for readers${age ? ` aged ${age} or over` : ' of a minimum age'}.` };
    case 'idempotency_key_reused':
      return { title: 'Form already used', html: 'This form was already sent once. Please open the item again.' };
    default:
      return { title: 'Not available', html: escapeHtml(fallback) };
  }
}
