import { randomBytes } from 'node:crypto';
import type { Db } from '../../common/store/sqlite.js';

export interface Campaign {
  id: string;
  sender: string;
  key: string;
  subject: string;
  text: string;
  link: string;
  audience: { site: string | null; viewed: string | null };
  createdBy: string;
  createdAt: string;
}

export interface NewRecipient {
  campaignId: string;
  userId: string;
  site: string;
  noticeId: string;
}

/** One campaign's figures for the shoppers of one site. */
export interface SiteFigures {
  campaign: string;
  sender: string;
  subject: string;
  link: string;
  createdAt: string;
  /** The recipients' site; null for a campaign that reached nobody. */
  site: string | null;
  sent: number;
  opened: number;
  unsubscribed: number;
}

type CampaignRow = { id: string; sender: string; send_key: string; subject: string; text: string; link: string; audience_json: string; created_by: string; created_at: string };
const toCampaign = (r: CampaignRow): Campaign => ({
  id: r.id,
  sender: r.sender,
  key: r.send_key,
  subject: r.subject,
  text: r.text,
  link: r.link,
  audience: JSON.parse(r.audience_json) as Campaign['audience'],
  createdBy: r.created_by,
  createdAt: r.created_at,
});
type FiguresRow = { campaign: string; sender: string; subject: string; link: string; created_at: string; site: string | null; sent: number; opened: number | null; unsubscribed: number | null };

/** News tables: consent, campaigns, their recipients and responses, and the link-signing key. */
export class NewsStore {
  private readonly q;
  constructor(readonly db: Db) {
    this.q = {
      consent: db.prepare<[string], { opted_in: number }>('SELECT opted_in FROM news_consent WHERE user_id = ?'),
      setConsent: db.prepare(
        'INSERT INTO news_consent (user_id, opted_in, source, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET opted_in = excluded.opted_in, source = excluded.source, changed_at = excluded.changed_at',
      ),
      optedIn: db.prepare<[], { user_id: string }>('SELECT user_id FROM news_consent WHERE opted_in = 1'),
      campaign: db.prepare<[string], CampaignRow>('SELECT * FROM news_campaigns WHERE id = ?'),
      byKey: db.prepare<[string, string], CampaignRow>('SELECT * FROM news_campaigns WHERE sender = ? AND send_key = ?'),
      insertCampaign: db.prepare(
        'INSERT INTO news_campaigns (id, sender, send_key, subject, text, link, audience_json, created_by, created_at) VALUES (@id, @sender, @key, @subject, @text, @link, @audience, @createdBy, @createdAt)',
      ),
      insertRecipient: db.prepare('INSERT OR IGNORE INTO news_recipients (campaign_id, user_id, site, notice_id) VALUES (?, ?, ?, ?)'),
      recipient: db.prepare<[string, string], { site: string; unsubscribed_at: string | null }>('SELECT site, unsubscribed_at FROM news_recipients WHERE campaign_id = ? AND user_id = ?'),
      click: db.prepare('UPDATE news_recipients SET clicks = clicks + 1, first_click_at = COALESCE(first_click_at, ?) WHERE campaign_id = ? AND user_id = ?'),
      unsubscribed: db.prepare('UPDATE news_recipients SET unsubscribed_at = COALESCE(unsubscribed_at, ?) WHERE campaign_id = ? AND user_id = ?'),
      count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM news_recipients WHERE campaign_id = ?'),
      secret: db.prepare<[], { secret: Buffer }>('SELECT secret FROM news_secret WHERE id = 1'),
      setSecret: db.prepare('INSERT OR IGNORE INTO news_secret (id, secret) VALUES (1, ?)'),
    };
  }

  consent(userId: string): boolean {
    return this.q.consent.get(userId)?.opted_in === 1;
  }

  setConsent(userId: string, optedIn: boolean, source: 'registration' | 'account' | 'unsubscribe', at: string): void {
    this.q.setConsent.run(userId, optedIn ? 1 : 0, source, at);
  }

  optedIn(): Set<string> {
    return new Set(this.q.optedIn.all().map((r) => r.user_id));
  }

  campaign(id: string): Campaign | undefined {
    const r = this.q.campaign.get(id);
    return r ? toCampaign(r) : undefined;
  }

  byKey(sender: string, key: string): Campaign | undefined {
    const r = this.q.byKey.get(sender, key);
    return r ? toCampaign(r) : undefined;
  }

  insertCampaign(c: Campaign): void {
    this.q.insertCampaign.run({ ...c, audience: JSON.stringify(c.audience) });
  }

  insertRecipient(r: NewRecipient): void {
    this.q.insertRecipient.run(r.campaignId, r.userId, r.site, r.noticeId);
  }

  recipientCount(campaignId: string): number {
    return this.q.count.get(campaignId)!.n;
  }

  recipient(campaignId: string, userId: string): { site: string; unsubscribedAt: string | null } | undefined {
    const r = this.q.recipient.get(campaignId, userId);
    return r ? { site: r.site, unsubscribedAt: r.unsubscribed_at } : undefined;
  }

  click(campaignId: string, userId: string, at: string): void {
    this.q.click.run(at, campaignId, userId);
  }

  markUnsubscribed(campaignId: string, userId: string, at: string): void {
    this.q.unsubscribed.run(at, campaignId, userId);
  }

  /** Figures per campaign and recipients' site, newest campaign first; opened counts shoppers who followed the tracked link at least once. */
  figures(f: { sender?: string; site?: string } = {}, limit = 1000): SiteFigures[] {
    const where: string[] = [];
    const args: string[] = [];
    if (f.sender) {
      where.push('c.sender = ?');
      args.push(f.sender);
    }
    if (f.site) {
      where.push('r.site = ?');
      args.push(f.site);
    }
    const rows = this.db
      .prepare<(string | number)[], FiguresRow>(
        `SELECT c.id AS campaign, c.sender, c.subject, c.link, c.created_at, r.site, COUNT(r.user_id) AS sent,
           SUM(CASE WHEN r.clicks > 0 THEN 1 ELSE 0 END) AS opened, SUM(CASE WHEN r.unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END) AS unsubscribed
         FROM news_campaigns c LEFT JOIN news_recipients r ON r.campaign_id = c.id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         GROUP BY c.id, r.site ORDER BY c.created_at DESC, c.id, r.site LIMIT ?`,
      )
      .all(...args, limit);
    return rows.map((r) => ({
      campaign: r.campaign,
      sender: r.sender,
      subject: r.subject,
      link: r.link,
      createdAt: r.created_at,
      site: r.site,
      sent: r.sent,
      opened: r.opened ?? 0,
      unsubscribed: r.unsubscribed ?? 0,
    }));
  }

  /** The sites campaigns were sent from or to (for the console's filters). */
  sites(): string[] {
    return this.db
      .prepare<[], { s: string }>('SELECT sender AS s FROM news_campaigns UNION SELECT site AS s FROM news_recipients ORDER BY s')
      .all()
      .map((r) => r.s);
  }

  /** The link-signing key, made once per database. */
  secret(): Buffer {
    const r = this.q.secret.get();
    if (r) return r.secret;
    this.q.setSecret.run(randomBytes(32));
    return this.q.secret.get()!.secret;
  }
}
