import type { Db } from '../../common/store/sqlite.js';
import type { Manifest } from '../../common/release/manifest.js';

export type ReleaseState = 'receiving' | 'pending' | 'active' | 'previous' | 'superseded' | 'rejected';

export interface HeldRelease {
  number: number;
  root: string;
  note: string;
  manifest: Manifest;
  state: ReleaseState;
  requiresApproval: boolean;
  receivedAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  activatedAt: string | null;
}

interface Row {
  number: number;
  root: string;
  note: string;
  manifest_json: string;
  state: ReleaseState;
  requires_approval: number;
  received_at: string;
  decided_at: string | null;
  decided_by: string | null;
  reason: string | null;
  activated_at: string | null;
}

const toRelease = (r: Row): HeldRelease => ({
  number: r.number,
  root: r.root,
  note: r.note,
  manifest: JSON.parse(r.manifest_json) as Manifest,
  state: r.state,
  requiresApproval: r.requires_approval === 1,
  receivedAt: r.received_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  reason: r.reason,
  activatedAt: r.activated_at,
});

export interface EmergencyEdit {
  path: string;
  sha256: string;
  size: number;
  at: string;
  byUser: string;
  reason: string;
}

export interface SyncLogEntry {
  id: number;
  at: string;
  event: string;
  release: number | null;
  detail: string | null;
}

/** Releases held by a partner, the active pointer, emergency edits, overrides and the sync log. */
export class SyncStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      get: db.prepare<[number], Row>('SELECT * FROM releases WHERE number = ?'),
      list: db.prepare<[], Row>('SELECT * FROM releases ORDER BY number DESC'),
      byState: db.prepare<[string], Row>('SELECT * FROM releases WHERE state = ? ORDER BY number DESC'),
      upsertReceiving: db.prepare(
        `INSERT INTO releases (number, root, note, manifest_json, state, requires_approval, received_at)
         VALUES (?, ?, ?, ?, 'receiving', ?, ?)
         ON CONFLICT (number) DO UPDATE SET root = excluded.root, note = excluded.note, manifest_json = excluded.manifest_json,
           requires_approval = excluded.requires_approval, received_at = excluded.received_at
         WHERE releases.state = 'receiving'`,
      ),
      setState: db.prepare('UPDATE releases SET state = ? WHERE number = ?'),
      decide: db.prepare('UPDATE releases SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE number = ?'),
      activateRow: db.prepare("UPDATE releases SET state = 'active', activated_at = ? WHERE number = ?"),
      demoteActive: db.prepare("UPDATE releases SET state = 'previous' WHERE state = 'active' AND number <> ?"),
      supersedePending: db.prepare("UPDATE releases SET state = 'superseded' WHERE state = 'pending' AND number < ?"),
      pointer: db.prepare<[], { active_release: number | null }>('SELECT active_release FROM site_state WHERE id = 1'),
      setPointer: db.prepare('UPDATE site_state SET active_release = ?, updated_at = ? WHERE id = 1'),
      deleteRelease: db.prepare('DELETE FROM releases WHERE number = ?'),
      edits: db.prepare<[], { path: string; sha256: string; size: number; at: string; by_user: string; reason: string }>('SELECT * FROM emergency_edits ORDER BY path'),
      putEdit: db.prepare('INSERT OR REPLACE INTO emergency_edits (path, sha256, size, at, by_user, reason) VALUES (?, ?, ?, ?, ?, ?)'),
      clearEdits: db.prepare('DELETE FROM emergency_edits'),
      log: db.prepare('INSERT INTO sync_log (at, event, release, detail) VALUES (?, ?, ?, ?)'),
      readLog: db.prepare<[number], SyncLogEntry>('SELECT id, at, event, release, detail FROM sync_log ORDER BY id DESC LIMIT ?'),
      overrides: db.prepare<[], { json: string }>('SELECT json FROM overrides WHERE id = 1'),
      setOverrides: db.prepare('UPDATE overrides SET json = ? WHERE id = 1'),
    };
  }

  get(number: number): HeldRelease | undefined {
    const r = this.q.get.get(number);
    return r ? toRelease(r) : undefined;
  }

  list(): HeldRelease[] {
    return this.q.list.all().map(toRelease);
  }

  withState(state: ReleaseState): HeldRelease[] {
    return this.q.byState.all(state).map(toRelease);
  }

  activeNumber(): number | null {
    return this.q.pointer.get()?.active_release ?? null;
  }

  /** Records an offered release while its blobs arrive. A release past "receiving" is never overwritten. */
  receive(number: number, root: string, note: string, manifest: Manifest, requiresApproval: boolean): void {
    this.q.upsertReceiving.run(number, root, note, JSON.stringify(manifest), requiresApproval ? 1 : 0, new Date().toISOString());
  }

  /** A complete release waits for the manager; an older waiting one is superseded. */
  markPending(number: number): void {
    this.db.transaction(() => {
      this.q.supersedePending.run(number);
      this.q.setState.run('pending', number);
    })();
  }

  /**
   * The one atomic switch: in one transaction the release becomes active, the
   * previous active becomes "previous", older pending ones are superseded, the
   * pointer moves and emergency edits are dropped.
   */
  activate(number: number): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.q.demoteActive.run(number);
      this.q.supersedePending.run(number);
      this.q.activateRow.run(now, number);
      this.q.setPointer.run(number, now);
      this.q.clearEdits.run();
    })();
  }

  decide(number: number, state: 'rejected' | 'pending', by: string, reason: string | null): void {
    this.q.decide.run(state, new Date().toISOString(), by, reason, number);
  }

  markSuperseded(number: number): void {
    this.q.setState.run('superseded', number);
  }

  deleteRelease(number: number): void {
    this.q.deleteRelease.run(number);
  }

  emergencyEdits(): EmergencyEdit[] {
    return this.q.edits.all().map((r) => ({ path: r.path, sha256: r.sha256, size: r.size, at: r.at, byUser: r.by_user, reason: r.reason }));
  }

  putEmergencyEdit(e: EmergencyEdit): void {
    this.q.putEdit.run(e.path, e.sha256, e.size, e.at, e.byUser, e.reason);
  }

  log(event: string, release: number | null, detail: string | null = null): void {
    this.q.log.run(new Date().toISOString(), event, release, detail);
  }

  recentLog(limit = 50): SyncLogEntry[] {
    return this.q.readLog.all(limit);
  }

  overrides(): Record<string, unknown> {
    return JSON.parse(this.q.overrides.get()?.json ?? '{}') as Record<string, unknown>;
  }

  setOverrides(o: Record<string, unknown>): void {
    this.q.setOverrides.run(JSON.stringify(o));
  }
}
