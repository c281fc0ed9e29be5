import { createHmac } from 'node:crypto';
import { safeEqual } from '../../common/web/tokens.js';

export type LinkPurpose = 'unsubscribe' | 'open';

/**
 * Signed links in news messages: the signature is HMAC-SHA256 under the news
 * key over the purpose, the campaign and the shopper, so a link cannot be
 * turned into another shopper's (or another purpose's) by editing it.
 */
export class NewsLinks {
  constructor(
    private readonly key: () => Buffer,
    private readonly baseUrl: string,
  ) {}

  sign(purpose: LinkPurpose, campaignId: string, userId: string): string {
    return createHmac('sha256', this.key()).update(`tieup-news\n${purpose}\n${campaignId}\n${userId}`).digest('base64url');
  }

  verify(purpose: LinkPurpose, campaignId: string, userId: string, sig: string): boolean {
    return typeof sig === 'string' && sig.length === 43 && safeEqual(sig, this.sign(purpose, campaignId, userId));
  }

  url(purpose: LinkPurpose, campaignId: string, userId: string): string {
    return `${this.baseUrl}/news/${purpose}/${encodeURIComponent(campaignId)}/${encodeURIComponent(userId)}/${this.sign(purpose, campaignId, userId)}`;
  }
}
