import type { Db } from '../../common/store/sqlite.js';

export const NOTICE_CHANNELS = ['email', 'webhook'] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];
export type ChannelState = 'pending' | 'sending' | 'delivered' | 'off';
export type NoticeState = 'pending' | 'delivered';

export interface NoticeRow {
  id: string;
  dedupeKey: string;
  party: string | null;
  recipientName: string | null;
  email: string | null;
  webhookUrl: string | null;
  kind: string;
  subject: string;
  text: string;
  html: string | null;
  data: Record<string, unknown> | null;
  redact: string[];
  /** The one-click unsubscribe URL of a list message (RFC 8058), else null. */
  listUnsubscribe: string | null;
  createdAt: string;
  state: NoticeState;
  deliveredAt: string | null;
  readAt: string | null;
}

export interface ChannelRow {
  noticeId: string;
  channel: NoticeChannel;
  state: ChannelState;
  attempts: number;
  nextAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
}

export interface AttemptRow {
  noticeId: string;
  channel: NoticeChannel;
  at: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface NoticeFilter {
  state?: NoticeState;
  kind?: string;
  /** A party id or an e-mail address (exact). */
  recipient?: string;
  limit?: number;
}

interface RawNotice {
  id: string;
  dedupe_key: string;
  party: string | null;
  recipient_name: string | null;
  email: string | null;
  webhook_url: string | null;
  kind: string;
  subject: string;
  text: string;
  html: string | null;
  data_json: string | null;
  redact_json: string | null;
  list_unsubscribe: string | null;
  created_at: string;
  state: NoticeState;
  delivered_at: string | null;
  read_at: string | null;
}
interface RawChannel {
  notice_id: string;
  channel: NoticeChannel;
  state: ChannelState;
  attempts: number;
  next_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
}

const notice = (r: RawNotice): NoticeRow => ({
  id: r.id,
  dedupeKey: r.dedupe_key,
  party: r.party,
  recipientName: r.recipient_name,
  email: r.email,
  webhookUrl: r.webhook_url,
  kind: r.kind,
  subject: r.subject,
  text: r.text,
  html: r.html,
  data: r.data_json ? (JSON.parse(r.data_json) as Record<string, unknown>) : null,
  redact: r.redact_json ? (JSON.parse(r.redact_json) as string[]) : [],
  listUnsubscribe: r.list_unsubscribe ?? null,
  createdAt: r.created_at,
  state: r.state,
  deliveredAt: r.delivered_at,
  readAt: r.read_at,
});
const channel = (r: RawChannel): ChannelRow => ({
  noticeId: r.notice_id,
  channel: r.channel,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  deliveredAt: r.delivered_at,
  lastError: r.last_error,
});

/** A notice as it is stored first: its row before any delivery. */
export type NewNotice = Omit<NoticeRow, 'state' | 'deliveredAt' | 'readAt' | 'listUnsubscribe'> & { listUnsubscribe?: string | null };

/** The outbox tables: notices, their channels, and every delivery attempt. */
export class NoticeStore {
  constructor(private readonly db: Db) {}

  /** Stores a notice and its channels in one transaction; an existing dedupe key wins (returns the stored one, created: false). */
  insert(n: NewNotice): { notice: NoticeRow; created: boolean } {
    return this.db.transaction(() => {
      const existing = this.byDedupeKey(n.dedupeKey);
      if (existing) return { notice: existing, created: false };
      this.db
        .prepare(
          `INSERT INTO notices (id, dedupe_key, party, recipient_name, email, webhook_url, kind, subject, text, html, data_json, redact_json, list_unsubscribe, created_at, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
        )
        .run(
          n.id,
          n.dedupeKey,
          n.party,
          n.recipientName,
          n.email,
          n.webhookUrl,
          n.kind,
          n.subject,
          n.text,
          n.html,
          n.data ? JSON.stringify(n.data) : null,
          n.redact.length ? JSON.stringify(n.redact) : null,
          n.listUnsubscribe ?? null,
          n.createdAt,
        );
      const add = this.db.prepare('INSERT INTO notice_channels (notice_id, channel, state, next_at) VALUES (?, ?, ?, ?)');
      add.run(n.id, 'email', n.email ? 'pending' : 'off', n.email ? n.createdAt : null);
      add.run(n.id, 'webhook', n.webhookUrl ? 'pending' : 'off', n.webhookUrl ? n.createdAt : null);
      this.settle(n.id, n.createdAt);
      return { notice: this.get(n.id)!, created: true };
    })();
  }

  get(id: string): NoticeRow | undefined {
    const r = this.db.prepare<[string], RawNotice>('SELECT * FROM notices WHERE id = ?').get(id);
    return r ? notice(r) : undefined;
  }

  byDedupeKey(key: string): NoticeRow | undefined {
    const r = this.db.prepare<[string], RawNotice>('SELECT * FROM notices WHERE dedupe_key = ?').get(key);
    return r ? notice(r) : undefined;
  }

  list(f: NoticeFilter = {}): NoticeRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.state) {
      where.push('state = ?');
      args.push(f.state);
    }
    if (f.kind) {
      where.push('kind = ?');
      args.push(f.kind);
    }
    if (f.recipient) {
      where.push('(party = ? OR email = ?)');
      args.push(f.recipient, f.recipient);
    }
    args.push(f.limit ?? 200);
    const sql = `SELECT * FROM notices ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.db
      .prepare<(string | number)[], RawNotice>(sql)
      .all(...args)
      .map(notice);
  }

  /** A party's own notices, newest first. */
  forParty(party: string, limit = 200): NoticeRow[] {
    return this.db.prepare<[string, number], RawNotice>('SELECT * FROM notices WHERE party = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(party, limit).map(notice);
  }

  unreadCount(party: string): number {
    return this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM notices WHERE party = ? AND read_at IS NULL').get(party)!.n;
  }

  markRead(id: string, at: string): void {
    this.db.prepare('UPDATE notices SET read_at = COALESCE(read_at, ?) WHERE id = ?').run(at, id);
  }

  channels(id: string): ChannelRow[] {
    return this.db.prepare<[string], RawChannel>('SELECT * FROM notice_channels WHERE notice_id = ? ORDER BY channel').all(id).map(channel);
  }

  attempts(id: string): AttemptRow[] {
    return this.db
      .prepare<[string], { notice_id: string; channel: NoticeChannel; at: string; ok: number; detail: string; duration_ms: number }>('SELECT * FROM notice_attempts WHERE notice_id = ? ORDER BY id')
      .all(id)
      .map((r) => ({ noticeId: r.notice_id, channel: r.channel, at: r.at, ok: r.ok === 1, detail: r.detail, durationMs: r.duration_ms }));
  }

  /** Channels due now, oldest first; `channels` limits which channels the worker can serve (e-mail may be off). */
  due(now: string, channels: readonly NoticeChannel[], limit = 50): ChannelRow[] {
    if (!channels.length) return [];
    const sql = `SELECT * FROM notice_channels WHERE state = 'pending' AND next_at <= ? AND channel IN (${channels.map(() => '?').join(',')}) ORDER BY next_at LIMIT ?`;
    return this.db
      .prepare<(string | number)[], RawChannel>(sql)
      .all(now, ...channels, limit)
      .map(channel);
  }

  /** Channels a previous process left in 'sending' (it stopped between sending and recording): they are due again. */
  recoverInterrupted(now: string): ChannelRow[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare<[], RawChannel>("SELECT * FROM notice_channels WHERE state = 'sending'").all().map(channel);
      for (const r of rows) {
        this.db.prepare("UPDATE notice_channels SET state = 'pending', next_at = ? WHERE notice_id = ? AND channel = ?").run(now, r.noticeId, r.channel);
        this.addAttempt({
          noticeId: r.noticeId,
          channel: r.channel,
          at: now,
          ok: false,
          detail: 'interrupted: the site stopped while sending; the outcome is unknown, so it is sent again with the same notice id',
          durationMs: 0,
        });
      }
      return rows;
    })();
  }

  /** Claims a due channel for sending (false if another run took it or it is no longer pending). */
  claim(id: string, ch: NoticeChannel): boolean {
    return this.db.prepare("UPDATE notice_channels SET state = 'sending' WHERE notice_id = ? AND channel = ? AND state = 'pending'").run(id, ch).changes === 1;
  }

  delivered(id: string, ch: NoticeChannel, at: string, detail: string, durationMs: number): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE notice_channels SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL, next_at = NULL WHERE notice_id = ? AND channel = ?")
        .run(at, id, ch);
      this.addAttempt({ noticeId: id, channel: ch, at, ok: true, detail, durationMs });
      this.settle(id, at);
    })();
  }

  failed(id: string, ch: NoticeChannel, at: string, detail: string, durationMs: number, nextAt: string): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE notice_channels SET state = 'pending', attempts = attempts + 1, last_error = ?, next_at = ? WHERE notice_id = ? AND channel = ?").run(detail, nextAt, id, ch);
      this.addAttempt({ noticeId: id, channel: ch, at, ok: false, detail, durationMs });
    })();
  }

  /** Makes the notice's pending channels due now (the console's "retry now"); returns how many. */
  retryNow(id: string, at: string): number {
    return this.db.prepare("UPDATE notice_channels SET next_at = ? WHERE notice_id = ? AND state = 'pending'").run(at, id).changes;
  }

  counts(): Record<NoticeState, number> {
    const out: Record<NoticeState, number> = { pending: 0, delivered: 0 };
    for (const r of this.db.prepare<[], { state: NoticeState; n: number }>('SELECT state, COUNT(*) AS n FROM notices GROUP BY state').all()) out[r.state] = r.n;
    return out;
  }

  waitingFor(ch: NoticeChannel): number {
    return this.db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM notice_channels WHERE channel = ? AND state = 'pending'").get(ch)!.n;
  }

  kinds(): string[] {
    return this.db
      .prepare<[], { kind: string }>('SELECT DISTINCT kind FROM notices ORDER BY kind')
      .all()
      .map((r) => r.kind);
  }

  private addAttempt(a: AttemptRow): void {
    this.db
      .prepare('INSERT INTO notice_attempts (notice_id, channel, at, ok, detail, duration_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(a.noticeId, a.channel, a.at, a.ok ? 1 : 0, a.detail.slice(0, 2000), a.durationMs);
  }

  /** A notice is delivered once no channel is pending or sending; then its one-time secrets are blanked. */
  private settle(id: string, at: string): void {
    const open = this.db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM notice_channels WHERE notice_id = ? AND state IN ('pending', 'sending')").get(id)!.n;
    if (open > 0) return;
    const n = this.get(id);
    if (!n || n.state === 'delivered') return;
    const scrub = (s: string): string => n.redact.reduce((acc, secret) => acc.split(secret).join('[removed after delivery]'), s);
    this.db
      .prepare("UPDATE notices SET state = 'delivered', delivered_at = ?, text = ?, html = ?, data_json = ?, redact_json = NULL WHERE id = ?")
      .run(at, scrub(n.text), n.html === null ? null : scrub(n.html), n.data ? scrub(JSON.stringify(n.data)) : null, id);
  }
}
