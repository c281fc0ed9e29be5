import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { NEWS_CONSENT, NEWS_PREVIEW, NEWS_REPORT, NEWS_SEND, type RequestInput, type ResponseOutput } from '../../common/protocol/index.js';
import { peerRefusal, type SendArgs } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { newsFigures } from '../../common/protocol/index.js';
import { partnerNewsErrors } from './errors.js';

type NewsEndpoint = typeof NEWS_CONSENT | typeof NEWS_PREVIEW | typeof NEWS_REPORT | typeof NEWS_SEND;

export type PartnerNewsReport = { granted: boolean; optedIn: number; campaigns: z.infer<typeof newsFigures>[] };

/**
 * News on a partner: consent, figures and (when the contract grants the
 * partner its shoppers' data) campaigns all live at the main site, asked for
 * over s2s as this site. A refusal there (news_not_granted) comes back as it is.
 */
export class PartnerNews {
  constructor(private readonly ctx: SiteContext) {}

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  private async call<E extends NewsEndpoint>(endpoint: E, body: RequestInput<E>): Promise<ResponseOutput<E>> {
    const main = this.ctx.peers.main();
    if (!main) throw partnerNewsErrors.news_unavailable('news are not available on this site yet (no main site is enrolled)');
    try {
      // None of these paths has parameters; the generic E hides that from SendArgs.
      return (await this.ctx.client.send(main.id, endpoint, body, ...([] as unknown as SendArgs<E>))).body;
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      throw partnerNewsErrors.news_unavailable('the main site does not answer right now; please try again in a minute');
    }
  }

  consent(userId: string, set?: boolean): Promise<{ optedIn: boolean }> {
    return this.call(NEWS_CONSENT, set === undefined ? { userId } : { userId, set });
  }

  report(): Promise<PartnerNewsReport> {
    return this.call(NEWS_REPORT, {});
  }

  preview(viewed: string | null): Promise<{ count: number }> {
    return this.call(NEWS_PREVIEW, { viewed });
  }

  send(input: RequestInput<typeof NEWS_SEND>): Promise<{ campaign: string; recipients: number; created: boolean }> {
    return this.call(NEWS_SEND, input);
  }

  newKey(): string {
    return randomBytes(18).toString('base64url');
  }
}
