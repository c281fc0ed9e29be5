import type { Db } from '../../common/store/sqlite.js';

export interface PartnerSyncState {
  partnerId: string;
  heldRelease: number | null;
  activeRelease: number | null;
  activeRoot: string | null;
  stagedRelease: number | null;
  stagedState: 'pending' | 'rejected' | null;
  rejectReason: string | null;
  servingRoot: string | null;
  servingCheckedAt: string | null;
  drift: boolean;
  driftDetail: string | null;
  emergencyEditAt: string | null;
  originalPaths: string[];
  lastPushAt: string | null;
  lastPushOutcome: string | null;
  lastPushDetail: string | null;
  consecutiveFailures: number;
  failing: boolean;
  nextRetryAt: string | null;
  /** The earlier release the partner went back to (its manager, or the main operator), until it serves a newer one. */
  rolledBackTo: number | null;
  rolledBackAt: string | null;
  rolledBackBy: string | null;
}

interface Row {
  partner_id: string;
  held_release: number | null;
  active_release: number | null;
  active_root: string | null;
  staged_release: number | null;
  staged_state: 'pending' | 'rejected' | null;
  reject_reason: string | null;
  serving_root: string | null;
  serving_checked_at: string | null;
  drift: number;
  drift_detail: string | null;
  emergency_edit_at: string | null;
  original_paths_json: string;
  last_push_at: string | null;
  last_push_outcome: string | null;
  last_push_detail: string | null;
  consecutive_failures: number;
  failing: number;
  next_retry_at: string | null;
  rolled_back_to: number | null;
  rolled_back_at: string | null;
  rolled_back_by: string | null;
}

const COLUMNS: Record<keyof Omit<PartnerSyncState, 'partnerId'>, string> = {
  heldRelease: 'held_release',
  activeRelease: 'active_release',
  activeRoot: 'active_root',
  stagedRelease: 'staged_release',
  stagedState: 'staged_state',
  rejectReason: 'reject_reason',
  servingRoot: 'serving_root',
  servingCheckedAt: 'serving_checked_at',
  drift: 'drift',
  driftDetail: 'drift_detail',
  emergencyEditAt: 'emergency_edit_at',
  originalPaths: 'original_paths_json',
  lastPushAt: 'last_push_at',
  lastPushOutcome: 'last_push_outcome',
  lastPushDetail: 'last_push_detail',
  consecutiveFailures: 'consecutive_failures',
  failing: 'failing',
  nextRetryAt: 'next_retry_at',
  rolledBackTo: 'rolled_back_to',
  rolledBackAt: 'rolled_back_at',
  rolledBackBy: 'rolled_back_by',
};

/**
 * A partner's reported original paths as stored. Written only after the
 * protocol schema accepted them, but read defensively: a value of another
 * shape (stored before that check existed) reads as no paths rather than
 * failing every publish and push that looks at it.
 */
function storedPaths(json: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return [];
  }
  return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
}
const toState = (r: Row): PartnerSyncState => ({
  partnerId: r.partner_id,
  heldRelease: r.held_release,
  activeRelease: r.active_release,
  activeRoot: r.active_root,
  stagedRelease: r.staged_release,
  stagedState: r.staged_state,
  rejectReason: r.reject_reason,
  servingRoot: r.serving_root,
  servingCheckedAt: r.serving_checked_at,
  drift: r.drift === 1,
  driftDetail: r.drift_detail,
  emergencyEditAt: r.emergency_edit_at,
  originalPaths: storedPaths(r.original_paths_json),
  lastPushAt: r.last_push_at,
  lastPushOutcome: r.last_push_outcome,
  lastPushDetail: r.last_push_detail,
  consecutiveFailures: r.consecutive_failures,
  failing: r.failing === 1,
  nextRetryAt: r.next_retry_at,
  rolledBackTo: r.rolled_back_to,
  rolledBackAt: r.rolled_back_at,
  rolledBackBy: r.rolled_back_by,
});

export interface Delivery {
  id: number;
  partnerId: string;
  release: number | null;
  attempt: number;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string | null;
  detail: string | null;
  blobsSent: number;
  bytesSent: number;
  freezeOverridden: boolean;
}

/** The delivery log's filters (console page, CSV, API); "running" is a delivery without an outcome yet. */
export interface DeliveryFilter {
  partner?: string | undefined;
  state?: string | undefined;
  release?: number | undefined;
  limit: number;
}

/** What changed, for the console's live channel: the partner, and what happened to it. */
export type SyncChangeListener = (partnerId: string, kind: string) => void;

const toDelivery = (r: Record<string, unknown>): Delivery => ({
  id: r.id as number,
  partnerId: r.partner_id as string,
  release: r.release as number | null,
  attempt: r.attempt as number,
  trigger: r.trigger as string,
  startedAt: r.started_at as string,
  finishedAt: r.finished_at as string | null,
  outcome: r.outcome as string | null,
  detail: r.detail as string | null,
  blobsSent: r.blobs_sent as number,
  bytesSent: r.bytes_sent as number,
  freezeOverridden: r.freeze_overridden === 1,
});

export interface SyncEvent {
  id: number;
  partnerId: string;
  at: string;
  kind: string;
  release: number | null;
  detail: string | null;
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  createdAt: string;
}

/** The main site's view of every partner's copy, the delivery log, partner events and webhooks. */
export class MainSyncStore {
  private readonly q;

  private listener: SyncChangeListener | undefined;

  constructor(private readonly db: Db) {
    this.q = {
      get: db.prepare<[string], Row>('SELECT * FROM partner_sync WHERE partner_id = ?'),
      ensure: db.prepare('INSERT OR IGNORE INTO partner_sync (partner_id) VALUES (?)'),
      startDelivery: db.prepare('INSERT INTO deliveries (partner_id, release, attempt, trigger, started_at, freeze_overridden) VALUES (?, ?, ?, ?, ?, ?)'),
      finishDelivery: db.prepare('UPDATE deliveries SET finished_at = ?, outcome = ?, detail = ?, blobs_sent = ?, bytes_sent = ?, release = COALESCE(?, release) WHERE id = ?'),
      deliveries: db.prepare<[string, string, number], Record<string, unknown>>("SELECT * FROM deliveries WHERE (? = '' OR partner_id = ?) ORDER BY id DESC LIMIT ?"),
      filtered: db.prepare<[{ partner: string | null; running: number; outcome: string | null; release: number | null; limit: number }], Record<string, unknown>>(
        `SELECT * FROM deliveries
          WHERE (@partner IS NULL OR partner_id = @partner)
            AND (@running = 0 OR outcome IS NULL)
            AND (@outcome IS NULL OR outcome = @outcome)
            AND (@release IS NULL OR release = @release)
          ORDER BY id DESC LIMIT @limit`,
      ),
      deliveryPartner: db.prepare<[number], { partner_id: string }>('SELECT partner_id FROM deliveries WHERE id = ?'),
      deliveryPartners: db.prepare<[], { partner_id: string }>('SELECT DISTINCT partner_id FROM deliveries ORDER BY partner_id'),
      deliveryReleases: db.prepare<[], { release: number }>('SELECT DISTINCT release FROM deliveries WHERE release IS NOT NULL ORDER BY release DESC LIMIT 200'),
      event: db.prepare('INSERT INTO sync_events (partner_id, at, kind, release, detail) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare<[string, string, number], Record<string, unknown>>("SELECT * FROM sync_events WHERE (? = '' OR partner_id = ?) ORDER BY id DESC LIMIT ?"),
      webhooks: db.prepare<[], { id: number; url: string; events: string; created_at: string }>('SELECT * FROM webhooks ORDER BY id'),
      addWebhook: db.prepare('INSERT INTO webhooks (url, events, created_at) VALUES (?, ?, ?)'),
      removeWebhook: db.prepare('DELETE FROM webhooks WHERE id = ?'),
    };
  }

  /** Told after each write (a partner's state, a delivery, an event): the module passes it to the console's live channel. */
  onChange(fn: SyncChangeListener): void {
    this.listener = fn;
  }

  private changed(partnerId: string, kind: string): void {
    try {
      this.listener?.(partnerId, kind);
    } catch {
      // The change is stored; a console that cannot be told is not a reason to fail it.
    }
  }

  get(partnerId: string): PartnerSyncState {
    this.q.ensure.run(partnerId);
    return toState(this.q.get.get(partnerId)!);
  }

  update(partnerId: string, patch: Partial<Omit<PartnerSyncState, 'partnerId'>>): PartnerSyncState {
    this.q.ensure.run(partnerId);
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch) as [keyof typeof COLUMNS, unknown][]) {
      sets.push(`${COLUMNS[k]} = ?`);
      values.push(k === 'originalPaths' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    if (sets.length) this.db.prepare(`UPDATE partner_sync SET ${sets.join(', ')} WHERE partner_id = ?`).run(...values, partnerId);
    if (sets.length) this.changed(partnerId, 'state');
    return this.get(partnerId);
  }

  startDelivery(partnerId: string, release: number | null, attempt: number, trigger: string, freezeOverridden: boolean, startedAt = new Date().toISOString()): number {
    const id = Number(this.q.startDelivery.run(partnerId, release, attempt, trigger, startedAt, freezeOverridden ? 1 : 0).lastInsertRowid);
    this.changed(partnerId, 'delivery');
    return id;
  }

  finishDelivery(id: number, outcome: string, detail: string, blobsSent: number, bytesSent: number, release: number | null = null): void {
    this.q.finishDelivery.run(new Date().toISOString(), outcome, detail, blobsSent, bytesSent, release, id);
    const row = this.q.deliveryPartner.get(id);
    if (row) this.changed(row.partner_id, 'delivery');
  }

  deliveries(partnerId: string | null, limit = 50): Delivery[] {
    return this.q.deliveries.all(partnerId ?? '', partnerId ?? '', limit).map(toDelivery);
  }

  /** The delivery log under the console's filters, newest first. */
  filteredDeliveries(f: DeliveryFilter): Delivery[] {
    const running = f.state === 'running';
    return this.q.filtered.all({ partner: f.partner ?? null, running: running ? 1 : 0, outcome: running ? null : (f.state ?? null), release: f.release ?? null, limit: f.limit }).map(toDelivery);
  }

  /** Partner ids and releases that appear in the delivery log (the filter's choices). */
  deliveryChoices(): { partners: string[]; releases: number[] } {
    return {
      partners: this.q.deliveryPartners.all().map((r) => r.partner_id),
      releases: this.q.deliveryReleases.all().map((r) => r.release),
    };
  }

  addEvent(partnerId: string, kind: string, release: number | null, detail: string | null): void {
    this.q.event.run(partnerId, new Date().toISOString(), kind, release, detail);
    this.changed(partnerId, kind);
  }

  events(partnerId: string | null, limit = 50): SyncEvent[] {
    return this.q.events
      .all(partnerId ?? '', partnerId ?? '', limit)
      .map((r) => ({ id: r.id as number, partnerId: r.partner_id as string, at: r.at as string, kind: r.kind as string, release: r.release as number | null, detail: r.detail as string | null }));
  }

  webhooks(): Webhook[] {
    return this.q.webhooks.all().map((r) => ({ id: r.id, url: r.url, events: JSON.parse(r.events) as string[], createdAt: r.created_at }));
  }

  addWebhook(url: string, events: string[]): Webhook {
    const id = Number(this.q.addWebhook.run(url, JSON.stringify(events), new Date().toISOString()).lastInsertRowid);
    return this.webhooks().find((w) => w.id === id)!;
  }

  removeWebhook(id: number): boolean {
    return this.q.removeWebhook.run(id).changes > 0;
  }
}
