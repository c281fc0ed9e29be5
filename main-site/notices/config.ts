import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { z } from 'zod';
import { boolFromString, defineConfigSlice, intFromString } from '../../common/config-slice.js';

/**
 * The notice outbox's settings. No SMTP host means the e-mail channel is off:
 * notices are still stored, shown in inboxes and sent by webhook, and their
 * e-mails wait (the console says so) until a host is configured.
 */
export const noticesConfig = defineConfigSlice(
  {
    /** SMTP server for notice e-mails; empty = e-mail off. */
    smtpHost: z.string().default(''),
    smtpPort: intFromString(1, 65535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
    smtpSecure: boolFromString.default(false),
    smtpUser: z.string().default(''),
    smtpPass: z.string().default(''),
    /** The From: address of notice e-mails. */
    mailFrom: z.string().default('Tieup <notices@localhost>'),
    /** The first retry delay; each failure doubles it, up to noticeRetryMaxMs. */
    noticeRetryBaseMs: intFromString(10, 3600_000).default(5000),
    noticeRetryMaxMs: intFromString(10, 86400_000).default(3600_000),
    /** How often the worker looks for due deliveries (it also runs at once after each new notice). */
    noticePollMs: intFromString(10, 600_000).default(1000),
    /** A webhook receiver's time to answer. */
    noticeWebhookTimeoutMs: intFromString(100, 120_000).default(10_000),
    /**
     * Allow webhooks to loopback, private and link-local addresses. Off by
     * default: parties set their own webhook URLs, and the main site must not
     * become their way to POST into the operator's network.
     */
    noticeWebhookPrivateAddresses: boolFromString.default(false),
  },
  (c) => {
    const out: string[] = [];
    if (c.noticeRetryMaxMs < c.noticeRetryBaseMs) out.push('TIEUP_NOTICE_RETRY_MAX_MS must be at least TIEUP_NOTICE_RETRY_BASE_MS');
    if (c.smtpUser && !c.smtpHost) out.push('TIEUP_SMTP_USER is set but TIEUP_SMTP_HOST is not');
    return out;
  },
);

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof noticesConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof noticesConfig]> {}
}
