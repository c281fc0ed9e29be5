import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import { signCompact } from '../../common/s2s/jws.js';
import { noticesErrors } from './errors.js';
import { checkWebhookHost, publicOnlyAgent } from './webhook-address.js';
import { NOTICE_CHANNELS, type AttemptRow, type ChannelRow, type NoticeChannel, type NoticeFilter, type NoticeRow, type NoticeStore } from './notice-store.js';

/** Where a party's notices go: a party capability (the portal) answers this for its own ids. */
export interface PartyAddress {
  name: string;
  email: string | null;
  webhookUrl: string | null;
}
export type PartyResolver = (partyId: string) => PartyAddress | undefined;

/** A notice's recipient: a party (resolved through the registered resolver, shown in its portal inbox) or plain addresses. */
export type NoticeRecipient = { party: string } | { email?: string; webhookUrl?: string; name?: string };

export interface SendNotice {
  recipient: NoticeRecipient;
  /** What the notice is about, lowercase words: "portal_invitation", "sales_report", ... */
  kind: string;
  subject: string;
  text: string;
  html?: string;
  /** Machine-readable details, sent in the webhook body. */
  data?: Record<string, unknown>;
  /** The caller's key for "this notice": a second send with the same key stores and sends nothing more. */
  dedupeKey: string;
  /** One-time secrets in text/html/data (invitation links): never shown in consoles or inboxes, blanked from storage once delivered. */
  secrets?: string[];
  /** A list message's one-click unsubscribe URL (https or http): sent as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058). */
  listUnsubscribe?: string;
}

/** A notice as consoles and inboxes show it (secrets replaced). */
export interface NoticeView extends Omit<NoticeRow, 'redact'> {
  channels: ChannelRow[];
}

/** The signed webhook's JSON body (docs/notices.md). */
export interface WebhookBody {
  id: string;
  site: string;
  kind: string;
  subject: string;
  text: string;
  data: Record<string, unknown> | null;
  party: string | null;
  createdAt: string;
}

export const WEBHOOK_JWS_TYPE = 'tieup-notice+jws';

const sendSchema = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'kind must be lowercase words joined by "_"'),
  subject: z.string().min(1).max(300),
  text: z.string().min(1).max(200_000),
  html: z.string().max(500_000).optional(),
  dedupeKey: z.string().min(1).max(300),
});

const httpUrl = (s: string): boolean => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};
const EMAIL_RE = /^[^\s@<>"]+@[^\s@<>"]+$/;

/**
 * The notice outbox: `send` stores a notice (once per dedupe key) and wakes
 * the worker, which delivers each channel (SMTP e-mail, signed webhook) until
 * it succeeds, with exponential backoff, recording every attempt. Delivery is
 * at least once with an idempotency id: a channel is marked 'sending' before
 * the send and 'delivered' after, so a process that dies in between sends it
 * again at restart with the same Message-ID / Tieup-Notice-Id, which the
 * receiver uses to drop the copy. Nothing is ever sent again once recorded as
 * delivered.
 */
export class NoticeService {
  private resolver: PartyResolver | undefined;
  private transport: Transporter | undefined;
  private webhookAgent: Dispatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Aborts a webhook in flight at shutdown (recorded as a failed attempt, retried at the next start). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly ctx: SiteContext,
    readonly store: NoticeStore,
  ) {}

  /** Whether notice e-mails are sent (an SMTP host is configured). */
  get emailEnabled(): boolean {
    return this.ctx.config.smtpHost !== '';
  }

  /** The party capability (the portal) says where a party's notices go. One resolver per site. */
  resolvePartiesWith(resolver: PartyResolver): void {
    if (this.resolver) throw new Error('a party resolver is already registered with the notice outbox');
    this.resolver = resolver;
  }

  /**
   * Stores the notice (exactly once per dedupeKey) and wakes the worker; returns the stored notice.
   * Synchronous, so a capability can call it inside its own database transaction: the notice is then
   * stored with the caller's change or not at all, and the worker only sees it once that commits.
   */
  send(input: SendNotice): { notice: NoticeView; created: boolean } {
    const parsed = sendSchema.safeParse(input);
    if (!parsed.success) throw noticesErrors.invalid_notice(parsed.error.issues.map((i) => `${i.path.join('.') || 'notice'}: ${i.message}`).join('; '));
    const r = input.recipient;
    let party: string | null = null;
    let address: PartyAddress;
    if ('party' in r) {
      const found = this.resolver?.(r.party);
      if (!found) throw noticesErrors.invalid_notice(`no party "${r.party}" to send a notice to`);
      party = r.party;
      address = found;
    } else {
      address = { name: r.name ?? '', email: r.email ?? null, webhookUrl: r.webhookUrl ?? null };
    }
    if (address.email !== null && !EMAIL_RE.test(address.email)) throw noticesErrors.invalid_notice(`"${address.email}" is not an e-mail address`);
    if (address.webhookUrl !== null && !httpUrl(address.webhookUrl)) throw noticesErrors.invalid_notice('the webhook URL must be an absolute http(s) URL');
    if (input.listUnsubscribe !== undefined && !httpUrl(input.listUnsubscribe)) throw noticesErrors.invalid_notice('the unsubscribe URL must be an absolute http(s) URL');
    if (party === null && !address.email && !address.webhookUrl) throw noticesErrors.invalid_notice('a notice needs a party, an e-mail address or a webhook URL');
    const { notice, created } = this.store.insert({
      id: `ntc_${randomBytes(12).toString('base64url')}`,
      dedupeKey: input.dedupeKey,
      party,
      recipientName: address.name || null,
      email: address.email,
      webhookUrl: address.webhookUrl,
      kind: input.kind,
      subject: input.subject,
      text: input.text,
      html: input.html ?? null,
      data: input.data ?? null,
      redact: (input.secrets ?? []).filter((s) => s.length >= 8),
      listUnsubscribe: input.listUnsubscribe ?? null,
      createdAt: new Date().toISOString(),
    });
    if (created) {
      this.ctx.logger.info({ event: 'notice_stored', notice: notice.id, kind: notice.kind, party }, 'notice stored');
      // After the current task: a caller that sends inside its own transaction commits (or rolls back) before the worker looks.
      setImmediate(() => void this.kick());
    }
    return { notice: this.view(notice), created };
  }

  /** A notice as shown to the operator (secrets replaced), or undefined. */
  get(id: string): (NoticeView & { attempts: AttemptRow[] }) | undefined {
    const n = this.store.get(id);
    return n ? { ...this.view(n), attempts: this.store.attempts(id) } : undefined;
  }

  list(filter: NoticeFilter = {}): NoticeView[] {
    return this.store.list(filter).map((n) => this.view(n));
  }

  /** A party's inbox: only notices addressed to that party. */
  inbox(partyId: string, limit = 200): NoticeView[] {
    return this.store.forParty(partyId, limit).map((n) => this.view(n));
  }

  /** One notice of a party's inbox, marked read; undefined when it is not that party's (never another's). */
  openForParty(partyId: string, id: string): NoticeView | undefined {
    const n = this.store.get(id);
    if (!n || n.party !== partyId) return undefined;
    this.store.markRead(id, new Date().toISOString());
    return this.view({ ...n, readAt: n.readAt ?? new Date().toISOString() });
  }

  unread(partyId: string): number {
    return this.store.unreadCount(partyId);
  }

  /** The console's "retry now": pending channels become due at once. */
  retryNow(id: string): number {
    if (!this.store.get(id)) throw noticesErrors.notice_not_found(`no notice "${id}"`);
    const n = this.store.retryNow(id, new Date().toISOString());
    void this.kick();
    return n;
  }

  status(): { emailEnabled: boolean; smtp: string | null; from: string; counts: Record<'pending' | 'delivered', number>; waitingForEmail: number; waitingForWebhook: number } {
    const c = this.ctx.config;
    return {
      emailEnabled: this.emailEnabled,
      smtp: this.emailEnabled ? `${c.smtpHost}:${c.smtpPort}${c.smtpSecure ? ' (TLS)' : ''}` : null,
      from: c.mailFrom,
      counts: this.store.counts(),
      waitingForEmail: this.store.waitingFor('email'),
      waitingForWebhook: this.store.waitingFor('webhook'),
    };
  }

  kinds(): string[] {
    return this.store.kinds();
  }

  /** Starts the worker: channels a stopped process left mid-send are due again, then a poll every noticePollMs. */
  start(): void {
    const interrupted = this.store.recoverInterrupted(new Date().toISOString());
    if (interrupted.length) this.ctx.logger.warn({ event: 'notice_send_interrupted', count: interrupted.length }, 'notices interrupted mid-send will be sent again with the same id');
    this.timer = setInterval(() => void this.kick(), this.ctx.config.noticePollMs);
    this.timer.unref();
    void this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
    this.transport?.close();
    await this.webhookAgent?.close();
  }

  /** Runs the worker now (or once more after the current run). Resolves when the run it started or joined ends. */
  kick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.deliverDue();
        } while (this.again && !this.closed);
      } catch (err) {
        this.ctx.logger.error({ event: 'notice_worker_failed', err }, 'the notice worker failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    const channels = NOTICE_CHANNELS.filter((c) => c !== 'email' || this.emailEnabled);
    for (;;) {
      if (this.closed) return;
      const due = this.store.due(new Date().toISOString(), channels);
      if (!due.length) return;
      for (const d of due) {
        if (this.closed) return;
        await this.deliverOne(d);
      }
    }
  }

  private async deliverOne(ch: ChannelRow): Promise<void> {
    const n = this.store.get(ch.noticeId);
    if (!n || !this.store.claim(n.id, ch.channel)) return;
    const started = Date.now();
    try {
      const detail = ch.channel === 'email' ? await this.sendEmail(n) : await this.sendWebhook(n);
      this.store.delivered(n.id, ch.channel, new Date().toISOString(), detail, Date.now() - started);
      this.ctx.logger.info({ event: 'notice_delivered', notice: n.id, channel: ch.channel, kind: n.kind }, 'notice delivered');
    } catch (err) {
      const c = this.ctx.config;
      // Exponential backoff from the attempts so far, capped; a little jitter so a returning server is not hit by every notice at once.
      const delay = Math.min(c.noticeRetryMaxMs, c.noticeRetryBaseMs * 2 ** Math.min(ch.attempts, 30)) * (0.8 + Math.random() * 0.4);
      const reason = (err as Error).message || String(err);
      this.store.failed(n.id, ch.channel, new Date().toISOString(), reason, Date.now() - started, new Date(Date.now() + delay).toISOString());
      this.ctx.logger.warn({ event: 'notice_attempt_failed', notice: n.id, channel: ch.channel, attempt: ch.attempts + 1, reason, retryInMs: Math.round(delay) }, 'notice delivery failed; will retry');
    }
  }

  /** The Message-ID a notice's e-mail carries: the notice id, so a resend after a crash is recognisably the same message. */
  messageId(id: string): string {
    return `<${id}@${this.ctx.config.siteId}.tieup.notices>`;
  }

  private mailer(): Transporter {
    if (!this.transport) {
      const c = this.ctx.config;
      this.transport = nodemailer.createTransport({
        host: c.smtpHost,
        port: c.smtpPort,
        secure: c.smtpSecure,
        ...(c.smtpUser ? { auth: { user: c.smtpUser, pass: c.smtpPass } } : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
    }
    return this.transport;
  }

  private async sendEmail(n: NoticeRow): Promise<string> {
    const to = n.recipientName ? { name: n.recipientName, address: n.email! } : n.email!;
    const info = (await this.mailer().sendMail({
      from: this.ctx.config.mailFrom,
      to,
      subject: n.subject,
      text: n.text,
      ...(n.html ? { html: n.html } : {}),
      messageId: this.messageId(n.id),
      headers: {
        'X-Tieup-Notice-Id': n.id,
        'X-Tieup-Notice-Kind': n.kind,
        ...(n.listUnsubscribe ? { 'List-Unsubscribe': `<${n.listUnsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {}),
      },
    })) as { response?: string; accepted?: unknown[] };
    if (!info.accepted?.length) throw new Error(`the SMTP server accepted no recipient (${info.response ?? 'no response'})`);
    return `SMTP: ${info.response ?? 'accepted'}`;
  }

  /** The webhook body and its detached JWS (RFC 7515 appendix F) over the exact body bytes, signed with the site's current Ed25519 key. */
  signedWebhook(n: NoticeRow): { body: string; signature: string } {
    const payload: WebhookBody = { id: n.id, site: this.ctx.config.siteId, kind: n.kind, subject: n.subject, text: n.text, data: n.data, party: n.party, createdAt: n.createdAt };
    const body = JSON.stringify(payload);
    const key = this.ctx.keyring().current;
    const jws = signCompact({ alg: 'EdDSA', kid: key.kid, typ: WEBHOOK_JWS_TYPE }, Buffer.from(body), key.privateKey);
    const [h, , s] = jws.split('.');
    return { body, signature: `${h}..${s}` };
  }

  private async sendWebhook(n: NoticeRow): Promise<string> {
    const { body, signature } = this.signedWebhook(n);
    const timeout = this.ctx.config.noticeWebhookTimeoutMs;
    let dispatcher: Dispatcher | undefined;
    if (!this.ctx.config.noticeWebhookPrivateAddresses) {
      checkWebhookHost(n.webhookUrl!);
      dispatcher = this.webhookAgent ??= publicOnlyAgent();
    }
    const r = await request(n.webhookUrl!, {
      ...(dispatcher ? { dispatcher } : {}),
      signal: this.stopping.signal,
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tieup-notices/1',
        'tieup-notice-id': n.id,
        'idempotency-key': n.id,
        'tieup-site': this.ctx.config.siteId,
        'tieup-signature': signature,
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    await r.body.dump();
    if (r.statusCode < 200 || r.statusCode >= 300) throw new Error(`the webhook answered HTTP ${r.statusCode}`);
    return `HTTP ${r.statusCode}`;
  }

  private view(n: NoticeRow): NoticeView {
    const hide = (s: string): string => n.redact.reduce((acc, secret) => acc.split(secret).join('[one-time link hidden]'), s);
    const { redact: _redact, ...rest } = n;
    return {
      ...rest,
      text: hide(n.text),
      html: n.html === null ? null : hide(n.html),
      data: n.data && n.redact.length ? (JSON.parse(hide(JSON.stringify(n.data))) as Record<string, unknown>) : n.data,
      channels: this.store.channels(n.id),
    };
  }
}

export type { NoticeChannel };
