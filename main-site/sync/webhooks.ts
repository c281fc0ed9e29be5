import { request } from 'undici';
import type { SiteContext } from '../../common/site/context.js';
import type { MainSyncStore } from './sync-store.js';

export const WEBHOOK_EVENTS = ['push_failed', 'release_rejected', 'drift_detected', 'emergency_edit', 'rollback'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Posts an event to every subscribed URL; a failing subscriber is logged and never blocks sync. */
export function notify(ctx: SiteContext, store: MainSyncStore, event: WebhookEvent, partnerId: string, release: number | null, detail: string): void {
  const payload = JSON.stringify({ event, partner: partnerId, release, detail, site: ctx.config.siteId, at: new Date().toISOString() });
  ctx.logger.info({ event: 'sync_notification', kind: event, partner: partnerId, release, detail }, `notification: ${event} for ${partnerId}`);
  for (const hook of store.webhooks().filter((h) => h.events.includes(event))) {
    void request(hook.url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', 'user-agent': 'tieup-webhook/1' }, headersTimeout: 5000, bodyTimeout: 5000 })
      .then(async (r) => {
        await r.body.dump();
        if (r.statusCode >= 300) throw new Error(`status ${r.statusCode}`);
      })
      .catch((err: unknown) => ctx.logger.warn({ event: 'webhook_failed', url: hook.url, kind: event, reason: (err as Error).message }, 'webhook delivery failed'));
  }
}
