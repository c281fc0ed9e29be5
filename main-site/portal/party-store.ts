import type { Db } from '../../common/store/sqlite.js';

/** The kinds of outside party; each portal section lists the kinds that see it. */
export const PARTY_KINDS = ['supplier', 'advertiser', 'planner', 'contributor', 'component_supplier'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];
export type PartyStatus = 'invited' | 'active' | 'suspended';

export interface Party {
  id: string;
  kind: PartyKind;
  displayName: string;
  email: string;
  status: PartyStatus;
  webhookUrl: string | null;
  totpEnabled: boolean;
  createdAt: string;
  createdBy: string;
  activatedAt: string | null;
  lastLoginAt: string | null;
}

/** What login checks need; never leaves the capability. */
export interface PartySecrets {
  passwordHash: string | null;
  totpSecret: string | null;
  totpPending: string | null;
  totpLastStep: number | null;
}

export interface Invitation {
  partyId: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
  noticeId: string | null;
}

export interface PartySession {
  party: Party;
  csrfToken: string;
  stage: 'totp' | 'full';
  expiresAt: string;
}

interface RawParty {
  id: string;
  kind: PartyKind;
  display_name: string;
  email: string;
  status: PartyStatus;
  password_hash: string | null;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: number | null;
  webhook_url: string | null;
  created_at: string;
  created_by: string;
  activated_at: string | null;
  last_login_at: string | null;
}
interface RawInvitation {
  party_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  notice_id: string | null;
}

const party = (r: RawParty): Party => ({
  id: r.id,
  kind: r.kind,
  displayName: r.display_name,
  email: r.email,
  status: r.status,
  webhookUrl: r.webhook_url,
  totpEnabled: r.totp_secret !== null,
  createdAt: r.created_at,
  createdBy: r.created_by,
  activatedAt: r.activated_at,
  lastLoginAt: r.last_login_at,
});
const invitation = (r: RawInvitation): Invitation => ({ partyId: r.party_id, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at, revokedAt: r.revoked_at, noticeId: r.notice_id });

/** Parties, their invitations and portal sessions. */
export class PartyStore {
  constructor(readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  create(p: { id: string; kind: PartyKind; displayName: string; email: string; webhookUrl: string | null; createdAt: string; createdBy: string }): Party {
    this.db
      .prepare("INSERT INTO parties (id, kind, display_name, email, status, webhook_url, created_at, created_by) VALUES (?, ?, ?, ?, 'invited', ?, ?, ?)")
      .run(p.id, p.kind, p.displayName, p.email, p.webhookUrl, p.createdAt, p.createdBy);
    return this.get(p.id)!;
  }

  get(id: string): Party | undefined {
    const r = this.db.prepare<[string], RawParty>('SELECT * FROM parties WHERE id = ?').get(id);
    return r ? party(r) : undefined;
  }

  byEmail(email: string): Party | undefined {
    const r = this.db.prepare<[string], RawParty>('SELECT * FROM parties WHERE email = ?').get(email);
    return r ? party(r) : undefined;
  }

  secrets(id: string): PartySecrets | undefined {
    const r = this.db.prepare<[string], RawParty>('SELECT * FROM parties WHERE id = ?').get(id);
    return r ? { passwordHash: r.password_hash, totpSecret: r.totp_secret, totpPending: r.totp_pending, totpLastStep: r.totp_last_step } : undefined;
  }

  list(filter: { kind?: PartyKind; status?: PartyStatus } = {}): Party[] {
    return this.db
      .prepare<[string | null, string | null, string | null, string | null], RawParty>('SELECT * FROM parties WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR status = ?) ORDER BY display_name, id')
      .all(filter.kind ?? null, filter.kind ?? null, filter.status ?? null, filter.status ?? null)
      .map(party);
  }

  setStatus(id: string, status: PartyStatus): void {
    this.db.prepare('UPDATE parties SET status = ? WHERE id = ?').run(status, id);
  }

  /** Sets the password from an invitation and makes the party active. */
  activate(id: string, passwordHash: string, at: string): void {
    this.db.prepare("UPDATE parties SET password_hash = ?, status = 'active', activated_at = COALESCE(activated_at, ?) WHERE id = ? AND status = 'invited'").run(passwordHash, at, id);
  }

  setPassword(id: string, passwordHash: string): void {
    this.db.prepare('UPDATE parties SET password_hash = ? WHERE id = ?').run(passwordHash, id);
  }

  setWebhook(id: string, url: string | null): void {
    this.db.prepare('UPDATE parties SET webhook_url = ? WHERE id = ?').run(url, id);
  }

  setTotpPending(id: string, secret: string | null): void {
    this.db.prepare('UPDATE parties SET totp_pending = ? WHERE id = ?').run(secret, id);
  }

  enableTotp(id: string, secret: string, step: number): void {
    this.db.prepare('UPDATE parties SET totp_secret = ?, totp_pending = NULL, totp_last_step = ? WHERE id = ?').run(secret, step, id);
  }

  disableTotp(id: string): void {
    this.db.prepare('UPDATE parties SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?').run(id);
  }

  /** Records a used TOTP step; false when that step (or a later one) was already used. */
  useTotpStep(id: string, step: number): boolean {
    return this.db.prepare('UPDATE parties SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)').run(step, id, step).changes === 1;
  }

  loggedIn(id: string, at: string): void {
    this.db.prepare('UPDATE parties SET last_login_at = ? WHERE id = ?').run(at, id);
  }

  addInvitation(tokenHash: string, partyId: string, createdAt: string, expiresAt: string): void {
    this.db.prepare('INSERT INTO party_invitations (token_hash, party_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(tokenHash, partyId, createdAt, expiresAt);
  }

  setInvitationNotice(tokenHash: string, noticeId: string): void {
    this.db.prepare('UPDATE party_invitations SET notice_id = ? WHERE token_hash = ?').run(noticeId, tokenHash);
  }

  invitation(tokenHash: string): Invitation | undefined {
    const r = this.db.prepare<[string], RawInvitation>('SELECT * FROM party_invitations WHERE token_hash = ?').get(tokenHash);
    return r ? invitation(r) : undefined;
  }

  invitations(partyId: string): Invitation[] {
    return this.db.prepare<[string], RawInvitation>('SELECT * FROM party_invitations WHERE party_id = ? ORDER BY created_at DESC').all(partyId).map(invitation);
  }

  /** Uses an invitation once: false when it was used, revoked or expired meanwhile. */
  useInvitation(tokenHash: string, at: string): boolean {
    return this.db.prepare('UPDATE party_invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?').run(at, tokenHash, at).changes === 1;
  }

  revokeInvitations(partyId: string, at: string): void {
    this.db.prepare('UPDATE party_invitations SET revoked_at = ? WHERE party_id = ? AND used_at IS NULL AND revoked_at IS NULL').run(at, partyId);
  }

  createSession(sidHash: string, partyId: string, csrfToken: string, stage: 'totp' | 'full', at: string, expiresAt: string): void {
    this.db.prepare('INSERT INTO party_sessions (sid_hash, party_id, csrf_token, stage, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(sidHash, partyId, csrfToken, stage, at, expiresAt);
  }

  session(sidHash: string, now: string): PartySession | undefined {
    const r = this.db
      .prepare<[string, string], { party_id: string; csrf_token: string; stage: 'totp' | 'full'; expires_at: string }>('SELECT * FROM party_sessions WHERE sid_hash = ? AND expires_at > ?')
      .get(sidHash, now);
    const p = r ? this.get(r.party_id) : undefined;
    return r && p ? { party: p, csrfToken: r.csrf_token, stage: r.stage, expiresAt: r.expires_at } : undefined;
  }

  dropSession(sidHash: string): void {
    this.db.prepare('DELETE FROM party_sessions WHERE sid_hash = ?').run(sidHash);
  }

  dropSessions(partyId: string): void {
    this.db.prepare('DELETE FROM party_sessions WHERE party_id = ?').run(partyId);
  }

  dropExpiredSessions(now: string): number {
    return this.db.prepare('DELETE FROM party_sessions WHERE expires_at <= ?').run(now).changes;
  }
}
