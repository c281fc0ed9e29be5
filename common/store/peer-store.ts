import type { Db } from './sqlite.js';
import type { SiteRole } from '../config.js';
import { EMPTY_CONTRACT, type StoredContract } from '../contract/terms.js';

export type PeerStatus = 'active' | 'suspended';

export interface HelloResult {
  at: string;
  ok: boolean;
  code?: string;
  message?: string;
  skewMs?: number;
  rttMs?: number;
}

export interface Peer {
  id: string;
  role: SiteRole;
  baseUrl: string;
  /** What the console calls the peer ("North Market"); null when the operator gave no name. */
  displayName: string | null;
  status: PeerStatus;
  /**
   * The contract as stored: one slice per capability (common/contract/terms.ts).
   * Read it only through the slices' readers, which report an unreadable slice
   * instead of guessing.
   */
  contract: Record<string, unknown>;
  ackedKid: string | null;
  lastHello: HelloResult | null;
  /**
   * The last authenticated exchange with the peer (recorded at most every
   * CONTACT_RECORD_MS): "received" a request it signed that passed every
   * check, or "sent" a request it answered with a verified signature.
   */
  lastContact: { at: string; direction: ContactDirection } | null;
  createdAt: string;
  updatedAt: string;
}

export type ContactDirection = 'received' | 'sent';

/** How often a peer's last contact is written at most: every s2s call would otherwise be a write. */
export const CONTACT_RECORD_MS = 30_000;

export interface PinnedKey {
  peerId: string;
  thumbprint: string;
  publicJwk: Record<string, unknown>;
  pinnedAt: string;
  pinnedBy: 'enrolment' | 'announcement';
  validUntil: string | null;
}

interface PeerRow {
  id: string;
  role: SiteRole;
  base_url: string;
  display_name: string | null;
  status: PeerStatus;
  contract_json: string;
  acked_kid: string | null;
  last_hello_json: string | null;
  last_contact_at: string | null;
  last_contact_direction: ContactDirection | null;
  created_at: string;
  updated_at: string;
}

interface KeyRow {
  peer_id: string;
  thumbprint: string;
  public_jwk: string;
  pinned_at: string;
  pinned_by: 'enrolment' | 'announcement';
  valid_until: string | null;
}

const toPeer = (r: PeerRow): Peer => ({
  id: r.id,
  role: r.role,
  baseUrl: r.base_url,
  displayName: r.display_name,
  status: r.status,
  contract: JSON.parse(r.contract_json) as Record<string, unknown>,
  ackedKid: r.acked_kid,
  lastHello: r.last_hello_json ? (JSON.parse(r.last_hello_json) as HelloResult) : null,
  lastContact: r.last_contact_at ? { at: r.last_contact_at, direction: r.last_contact_direction ?? 'received' } : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toKey = (r: KeyRow): PinnedKey => ({
  peerId: r.peer_id,
  thumbprint: r.thumbprint,
  publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
  pinnedAt: r.pinned_at,
  pinnedBy: r.pinned_by,
  validUntil: r.valid_until,
});

export interface NewPeer {
  id: string;
  role: SiteRole;
  baseUrl: string;
  displayName?: string | null;
  /** Written by the main site's terms (ContractTerms.initial); a partner starts with none. */
  contract?: StoredContract;
  ackedKid: string | null;
  keys: { thumbprint: string; publicJwk: Record<string, unknown> }[];
}

/**
 * The enrolled peers and the keys pinned for them. Reads are on the s2s hot
 * path (every request and every answer looks up its issuer and key), so they
 * come from an in-memory copy; every write goes through this class and drops
 * the copy, so a suspension or removal applies to the very next request.
 */
export class PeerStore {
  private readonly q;
  private peerCache = new Map<string, Peer | null>();
  private keyCache = new Map<string, PinnedKey | null>();
  private mainCache: Peer | null | undefined;

  private readonly watchers: ((id: string | null) => void)[] = [];
  /** When each peer's contact was last written (ms), so the s2s path writes at most every CONTACT_RECORD_MS. */
  private readonly contactWritten = new Map<string, { at: number; direction: ContactDirection }>();

  private invalidate(): void {
    this.peerCache = new Map();
    this.keyCache = new Map();
    this.mainCache = undefined;
  }

  /** Called after each change to a peer (null: some peers' keys); the console's live channel listens. */
  onChange(fn: (id: string | null) => void): void {
    this.watchers.push(fn);
  }

  private changed(id: string | null): void {
    for (const fn of this.watchers) fn(id);
  }

  constructor(private readonly db: Db) {
    this.q = {
      get: db.prepare<[string], PeerRow>('SELECT * FROM peers WHERE id = ?'),
      list: db.prepare<[], PeerRow>('SELECT * FROM peers ORDER BY id'),
      insert: db.prepare(
        `INSERT INTO peers (id, role, base_url, display_name, status, contract_json, acked_kid, created_at, updated_at)
         VALUES (@id, @role, @baseUrl, @displayName, 'active', @contract, @ackedKid, @now, @now)`,
      ),
      setStatus: db.prepare('UPDATE peers SET status = ?, updated_at = ? WHERE id = ?'),
      setBaseUrl: db.prepare('UPDATE peers SET base_url = ?, updated_at = ? WHERE id = ?'),
      setContract: db.prepare('UPDATE peers SET contract_json = ?, updated_at = ? WHERE id = ?'),
      rewriteContract: db.prepare('UPDATE peers SET contract_json = ? WHERE id = ?'),
      setAcked: db.prepare('UPDATE peers SET acked_kid = ?, updated_at = ? WHERE id = ?'),
      setHello: db.prepare('UPDATE peers SET last_hello_json = ? WHERE id = ?'),
      setContact: db.prepare('UPDATE peers SET last_contact_at = ?, last_contact_direction = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM peers WHERE id = ?'),
      keys: db.prepare<[string], KeyRow>('SELECT * FROM peer_keys WHERE peer_id = ? ORDER BY pinned_at, thumbprint'),
      key: db.prepare<[string, string], KeyRow>('SELECT * FROM peer_keys WHERE peer_id = ? AND thumbprint = ?'),
      pin: db.prepare(
        `INSERT INTO peer_keys (peer_id, thumbprint, public_jwk, pinned_at, pinned_by, valid_until)
         VALUES (?, ?, ?, ?, ?, NULL)
         ON CONFLICT (peer_id, thumbprint) DO UPDATE SET valid_until = NULL`,
      ),
      retireCurrent: db.prepare('UPDATE peer_keys SET valid_until = ? WHERE peer_id = ? AND thumbprint <> ? AND (valid_until IS NULL OR valid_until > ?)'),
      unpinAll: db.prepare('DELETE FROM peer_keys WHERE peer_id = ?'),
      pruneExpired: db.prepare('DELETE FROM peer_keys WHERE valid_until IS NOT NULL AND valid_until < ?'),
    };
  }

  get(id: string): Peer | undefined {
    let p = this.peerCache.get(id);
    if (p === undefined) {
      const r = this.q.get.get(id);
      p = r ? toPeer(r) : null;
      this.peerCache.set(id, p);
    }
    return p ?? undefined;
  }

  list(): Peer[] {
    return this.q.list.all().map(toPeer);
  }

  /** On a partner: the main site it belongs to (there is at most one). */
  main(): Peer | undefined {
    if (this.mainCache === undefined) this.mainCache = this.list().find((p) => p.role === 'main') ?? null;
    return this.mainCache ?? undefined;
  }

  add(p: NewPeer): Peer {
    this.invalidate();
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.q.insert.run({ id: p.id, role: p.role, baseUrl: p.baseUrl, displayName: p.displayName ?? null, contract: JSON.stringify(p.contract ?? EMPTY_CONTRACT), ackedKid: p.ackedKid, now });
      for (const k of p.keys) this.q.pin.run(p.id, k.thumbprint, JSON.stringify(k.publicJwk), now, 'enrolment');
    })();
    this.changed(p.id);
    return this.get(p.id)!;
  }

  /** Replaces every pinned key by the given set (re-enrolment by an operator who holds the keys out of band). */
  repin(id: string, keys: { thumbprint: string; publicJwk: Record<string, unknown> }[]): void {
    this.invalidate();
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.q.unpinAll.run(id);
      for (const k of keys) this.q.pin.run(id, k.thumbprint, JSON.stringify(k.publicJwk), now, 'enrolment');
    })();
    this.changed(id);
  }

  setStatus(id: string, status: PeerStatus): boolean {
    this.invalidate();
    const done = this.q.setStatus.run(status, new Date().toISOString(), id).changes > 0;
    if (done) this.changed(id);
    return done;
  }

  setBaseUrl(id: string, baseUrl: string): void {
    this.invalidate();
    this.q.setBaseUrl.run(baseUrl, new Date().toISOString(), id);
    this.changed(id);
  }

  /** Records a contract that went through the terms' checks (written by the main site, or accepted from it). */
  setContract(id: string, contract: StoredContract): void {
    this.invalidate();
    this.q.setContract.run(JSON.stringify(contract), new Date().toISOString(), id);
    this.changed(id);
  }

  /** The same terms in a new stored form (a format upgrade): the contract's recorded time is kept. */
  rewriteContract(id: string, contract: StoredContract): void {
    this.invalidate();
    this.q.rewriteContract.run(JSON.stringify(contract), id);
  }

  setAckedKid(id: string, kid: string): void {
    this.invalidate();
    this.q.setAcked.run(kid, new Date().toISOString(), id);
  }

  recordHello(id: string, result: HelloResult): void {
    this.invalidate();
    this.q.setHello.run(JSON.stringify(result), id);
    this.changed(id);
  }

  /**
   * An authenticated exchange with the peer just happened. Written when the
   * last write is CONTACT_RECORD_MS old (either direction), so the
   * console's "last contact" is at most that stale and s2s calls stay reads.
   */
  recordContact(id: string, direction: ContactDirection, now = Date.now()): void {
    const prev = this.contactWritten.get(id);
    if (prev && now - prev.at < CONTACT_RECORD_MS) return;
    if (this.q.setContact.run(new Date(now).toISOString(), direction, id).changes === 0) return;
    this.contactWritten.set(id, { at: now, direction });
    this.invalidate();
    this.changed(id);
  }

  remove(id: string): boolean {
    this.invalidate();
    const done = this.q.remove.run(id).changes > 0;
    if (done) this.changed(id);
    return done;
  }

  keys(id: string): PinnedKey[] {
    return this.q.keys.all(id).map(toKey);
  }

  key(id: string, thumbprint: string): PinnedKey | undefined {
    const cacheKey = `${id} ${thumbprint}`;
    let k = this.keyCache.get(cacheKey);
    if (k === undefined) {
      const r = this.q.key.get(id, thumbprint);
      k = r ? toKey(r) : null;
      this.keyCache.set(cacheKey, k);
    }
    return k ?? undefined;
  }

  /**
   * Accepts an announced key: it becomes current and every other still-valid
   * key of the peer stays valid only until `oldValidUntil`.
   */
  acceptAnnouncedKey(id: string, thumbprint: string, publicJwk: Record<string, unknown>, oldValidUntil: string): void {
    this.invalidate();
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.q.retireCurrent.run(oldValidUntil, id, thumbprint, now);
      this.q.pin.run(id, thumbprint, JSON.stringify(publicJwk), now, 'announcement');
    })();
    this.changed(id);
  }

  pruneExpiredKeys(now = new Date()): number {
    this.invalidate();
    const n = this.q.pruneExpired.run(now.toISOString()).changes;
    if (n > 0) this.changed(null);
    return n;
  }
}
