import { plural } from '../../common/web/format.js';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { shopperDataGranted } from '../../common/news/index.js';
import { newsAudienceFilter, newsCompose, type NewsFigures } from '../../common/protocol/index.js';
import type { SiteContext } from '../../common/site/context.js';
import type { MainLogs } from '../logs/index.js';
import type { NoticeService } from '../notices/index.js';
import type { UserService } from '../users/index.js';
import { newsErrors } from './errors.js';
import { NewsLinks } from './news-links.js';
import type { Campaign, NewsStore, SiteFigures } from './news-store.js';

/** Who a campaign goes to: opted-in shoppers registered on `site` (null: any site) who viewed `viewed` (null: whatever they viewed). */
export interface Audience {
  site: string | null;
  viewed: string | null;
}

export interface Recipient {
  userId: string;
  email: string;
  name: string;
  site: string;
}

/** What a campaign send is given: the sender's idempotency key, the message and its audience. */
export const campaignInput = newsCompose.extend({
  key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'the form lost its campaign key; open the compose page again'),
  audience: newsAudienceFilter.extend({ site: z.string().max(32).nullable() }),
});
export type CampaignInput = z.infer<typeof campaignInput>;

const problemsOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'campaign'}: ${i.message}`);

/**
 * Direct marketing on the partners' behalf (seed 001, Fig. 11): the main site
 * keeps every shopper's news consent with the account, picks an audience by
 * the site registered on and the pages viewed (the access logs' `user`), and
 * sends each shopper one notice through the outbox, with a tracked link and a
 * signed unsubscribe link. Each recipient is one notice per campaign and
 * shopper (dedupeKey) and a campaign is one per sender and key, so a retried
 * send reaches nobody twice.
 */
export class NewsService {
  readonly links: NewsLinks;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: NewsStore,
    private readonly users: UserService,
    private readonly notices: NoticeService,
    private readonly logs: MainLogs,
  ) {
    this.links = new NewsLinks(() => store.secret(), ctx.config.publicUrl);
    users.onRegistered((u) => {
      if (u.news) store.setConsent(u.id, true, 'registration', new Date().toISOString());
    });
  }

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  registeredSite(userId: string): string | undefined {
    return this.users.registeredSite(userId);
  }

  optedIn(userId: string): boolean {
    return this.store.consent(userId);
  }

  setConsent(userId: string, optedIn: boolean, source: 'account' | 'unsubscribe' = 'account'): void {
    if (!this.users.exists(userId)) throw newsErrors.shopper_not_found(`there is no shopper ${userId}`);
    this.store.setConsent(userId, optedIn, source, new Date().toISOString());
    this.ctx.logger.info({ event: 'news_consent', userId, optedIn, source }, optedIn ? 'shopper opted in to news' : 'shopper opted out of news');
  }

  /** Whether a partner's contract grants it its shoppers' data for news. */
  granted(site: string): boolean {
    const p = this.ctx.peers.get(site);
    return !!p && p.role === 'partner' && shopperDataGranted(p.contract).granted;
  }

  /** The sites shoppers register on: this one and every partner. */
  sites(): string[] {
    return [
      this.siteId,
      ...this.ctx.peers
        .list()
        .filter((p) => p.role === 'partner')
        .map((p) => p.id),
    ];
  }

  audience(a: Audience): Recipient[] {
    const opted = this.store.optedIn();
    const viewers = a.viewed ? this.logs.viewersOf(a.viewed) : null;
    return this.users
      .list()
      .filter((u) => opted.has(u.id) && (a.site === null || u.registeredSite === a.site) && (viewers === null || viewers.has(u.id)))
      .map((u) => ({ userId: u.id, email: u.email, name: u.name, site: u.registeredSite }));
  }

  /** A new campaign key: the compose form carries it, so a repeated post is the same campaign. */
  newKey(): string {
    return randomBytes(18).toString('base64url');
  }

  /** Where a shopper's tracked link leads: the page on the site the shopper registered on. */
  private target(site: string, link: string): string {
    const base = site === this.siteId ? this.ctx.config.publicUrl : (this.ctx.peers.get(site)?.baseUrl ?? this.ctx.config.publicUrl);
    return `${base.replace(/\/+$/, '')}${link}`;
  }

  private siteName(site: string): string {
    return site === this.siteId ? 'our shop' : `${site}`;
  }

  /**
   * Sends a campaign: stores it, picks its audience and stores one notice per
   * recipient, all in one transaction. A sender's second send with the same key
   * stores nothing and answers the first campaign (created: false).
   */
  send(sender: string, raw: unknown, by: string): { campaign: Campaign; recipients: number; created: boolean } {
    const parsed = campaignInput.safeParse(raw);
    if (!parsed.success) throw newsErrors.invalid_campaign(problemsOf(parsed.error).join('; '), { problems: problemsOf(parsed.error) });
    const input = parsed.data;
    if (sender !== this.siteId) {
      if (!this.granted(sender)) throw newsErrors.news_not_granted(`the contract of ${sender} does not grant it its shoppers' data for news (news.shopperData)`);
      // A partner reaches only shoppers who registered on it, whatever it asked for.
      input.audience.site = sender;
    } else if (input.audience.site !== null && !this.sites().includes(input.audience.site)) {
      throw newsErrors.invalid_campaign(`audience.site: no site "${input.audience.site}"`);
    }
    return this.store.db.transaction(() => {
      const existing = this.store.byKey(sender, input.key);
      if (existing) return { campaign: existing, recipients: this.store.recipientCount(existing.id), created: false };
      const campaign: Campaign = {
        id: `nc_${randomBytes(9).toString('base64url')}`,
        sender,
        key: input.key,
        subject: input.subject,
        text: input.text,
        link: input.link,
        audience: { site: input.audience.site, viewed: input.audience.viewed },
        createdBy: by,
        createdAt: new Date().toISOString(),
      };
      this.store.insertCampaign(campaign);
      const recipients = this.audience(campaign.audience);
      for (const r of recipients) {
        const open = this.links.url('open', campaign.id, r.userId);
        const unsubscribe = this.links.url('unsubscribe', campaign.id, r.userId);
        const from = sender === this.siteId ? '' : ` from ${sender}`;
        const { notice } = this.notices.send({
          recipient: { email: r.email, name: r.name },
          kind: 'news',
          subject: campaign.subject,
          text: `Hello ${r.name},\n\n${campaign.text}\n\nSee it: ${open}\n\n--\nYou get this news${from} because you asked for news of new products at ${this.siteName(r.site)}.\nTo stop them, open: ${unsubscribe}\n`,
          data: { campaign: campaign.id, sender, site: r.site, link: this.target(r.site, campaign.link) },
          dedupeKey: `news:${campaign.id}:${r.userId}`,
          listUnsubscribe: unsubscribe,
        });
        this.store.insertRecipient({ campaignId: campaign.id, userId: r.userId, site: r.site, noticeId: notice.id });
      }
      this.ctx.logger.info({ event: 'news_sent', campaign: campaign.id, sender, recipients: recipients.length, by }, `news campaign ${campaign.id} sent to ${plural(recipients.length, 'shopper')}`);
      return { campaign, recipients: recipients.length, created: true };
    })();
  }

  /** A followed tracked link: counted, and where it leads; undefined for a link we did not sign or a recipient we do not have. */
  open(campaignId: string, userId: string, sig: string): string | undefined {
    if (!this.links.verify('open', campaignId, userId, sig)) return undefined;
    const c = this.store.campaign(campaignId);
    const r = c && this.store.recipient(campaignId, userId);
    if (!c || !r) return undefined;
    this.store.click(campaignId, userId, new Date().toISOString());
    return this.target(r.site, c.link);
  }

  /** Checks an unsubscribe link; the shopper's address (for the confirmation page) or undefined. */
  checkUnsubscribe(campaignId: string, userId: string, sig: string): { email: string } | undefined {
    if (!this.links.verify('unsubscribe', campaignId, userId, sig)) return undefined;
    const account = this.users.account(userId);
    return account ? { email: account.email } : undefined;
  }

  /** One-click unsubscribe through a signed link: the consent is withdrawn, and the campaign counts it once. */
  unsubscribe(campaignId: string, userId: string, sig: string): boolean {
    if (!this.checkUnsubscribe(campaignId, userId, sig)) return false;
    this.store.db.transaction(() => {
      this.store.setConsent(userId, false, 'unsubscribe', new Date().toISOString());
      this.store.markUnsubscribed(campaignId, userId, new Date().toISOString());
    })();
    this.ctx.logger.info({ event: 'news_unsubscribed', userId, campaign: campaignId }, 'shopper unsubscribed from news');
    return true;
  }

  figures(f: { sender?: string; site?: string } = {}): SiteFigures[] {
    return this.store.figures(f);
  }

  /** A partner's view: every campaign that reached its shoppers, with their responses. */
  report(site: string): { granted: boolean; optedIn: number; campaigns: NewsFigures[] } {
    const opted = this.store.optedIn();
    return {
      granted: this.granted(site),
      optedIn: this.users.list().filter((u) => u.registeredSite === site && opted.has(u.id)).length,
      campaigns: this.store.figures({ site }, 500).map(({ site: _site, ...f }) => f),
    };
  }
}
