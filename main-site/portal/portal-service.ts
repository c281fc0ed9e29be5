import { randomBytes } from 'node:crypto';
import type express from 'express';
import type { Request } from 'express';
import { Secret, TOTP } from 'otpauth';
import type { SiteContext } from '../../common/site/context.js';
import { FailureLimiter } from '../../common/web/failure-limiter.js';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from '../../common/web/password.js';
import { randomToken, sha256Hex } from '../../common/web/tokens.js';
import type { NoticeService } from '../notices/index.js';
import { portalErrors } from './errors.js';
import { PARTY_KINDS, type Invitation, type Party, type PartyKind, type PartySession, type PartyStatus, type PartyStore } from './party-store.js';

/** Human names of the party kinds (pages, e-mails). */
export const PARTY_KIND_LABELS: Record<PartyKind, string> = {
  supplier: 'content supplier',
  advertiser: 'advertiser',
  planner: 'planner',
  contributor: 'contributor',
  component_supplier: 'component supplier',
};

/** What a section's routes get besides the router: the signed-in party of a request (checked server-side from the session). */
export interface SectionTools {
  party(req: Request): Party;
}

/**
 * A block of portal pages another capability adds (paid content's "Items",
 * "Sales reports", "Statements" for suppliers; ads' "Deliveries" for
 * advertisers, ...). Its routes are mounted at /portal/<id>/ behind the portal
 * session and CSRF check, and only for parties of the listed kinds; any other
 * party gets the same 404 as for a section that does not exist.
 */
export interface PortalSection {
  /** Path segment and identifier: lowercase letters, digits and "-". */
  id: string;
  title: string;
  kinds: readonly PartyKind[];
  /** Registers the section's routes (GET / is its landing page). Views may include 'partials/portal-head' and 'partials/portal-foot'. */
  mount(router: express.Router, tools: SectionTools): void;
}

const SECTION_ID = /^[a-z][a-z0-9-]{0,31}$/;
const RESERVED = new Set(['login', 'logout', 'invite', 'inbox', 'account', 'assets', 's']);
const EMAIL_RE = /^[^\s@<>"]+@[^\s@<>".]+(\.[^\s@<>".]+)+$/;
const TOTP_PERIOD = 30;

export type LoginResult = { ok: true; party: Party; sid: string; stage: 'totp' | 'full' } | { ok: false; reason: 'throttled'; retryAfter: number } | { ok: false; reason: 'wrong' };

export interface TotpSetup {
  secret: string;
  uri: string;
}

/**
 * The party portal: outside parties (suppliers, advertisers, planners,
 * contributors, component suppliers) invited by the operator, their logins
 * (scrypt password, optional TOTP, failure throttles per account and per
 * address), sessions, and the sections other capabilities add.
 */
export class PortalService {
  readonly sections: PortalSection[] = [];
  private readonly byAccount: FailureLimiter;
  private readonly byIp: FailureLimiter;
  /** Called by the front when a section is added after the routes were mounted. */
  onSection: ((s: PortalSection) => void) | undefined;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: PartyStore,
    private readonly notices: NoticeService,
  ) {
    const c = ctx.config;
    this.byAccount = new FailureLimiter(c.loginMaxFailuresPerAccount, c.loginWindowSeconds * 1000);
    this.byIp = new FailureLimiter(c.loginMaxFailuresPerIp, c.loginWindowSeconds * 1000);
    notices.resolvePartiesWith((id) => {
      const p = store.get(id);
      return p ? { name: p.displayName, email: p.email, webhookUrl: p.webhookUrl } : undefined;
    });
  }

  /** The extension point: adds a section of portal pages for the given party kinds. */
  addSection(section: PortalSection): void {
    if (!SECTION_ID.test(section.id) || RESERVED.has(section.id)) throw portalErrors.invalid_section(`"${section.id}" cannot name a portal section`);
    if (this.sections.some((s) => s.id === section.id)) throw portalErrors.invalid_section(`a portal section "${section.id}" exists already`);
    if (!section.kinds.length || section.kinds.some((k) => !PARTY_KINDS.includes(k))) throw portalErrors.invalid_section(`section "${section.id}" must list party kinds (${PARTY_KINDS.join(', ')})`);
    this.sections.push(section);
    this.onSection?.(section);
  }

  /** The sections a party of this kind sees, in the order they were added. */
  /** How long an invitation link stays valid, in hours (TIEUP_PORTAL_INVITE_HOURS). */
  inviteHours(): number {
    return this.ctx.config.portalInviteHours;
  }

  sectionsFor(kind: PartyKind): PortalSection[] {
    return this.sections.filter((s) => s.kinds.includes(kind));
  }

  get(id: string): Party | undefined {
    return this.store.get(id);
  }

  list(filter: { kind?: PartyKind; status?: PartyStatus } = {}): Party[] {
    return this.store.list(filter);
  }

  invitations(id: string): Invitation[] {
    return this.store.invitations(id);
  }

  /** Creates a party and sends its invitation (through the notice outbox). */
  invite(input: { email: string; kind: string; displayName: string; webhookUrl?: string | null }, by: string): { party: Party; noticeId: string } {
    const email = input.email.trim();
    const displayName = input.displayName.trim();
    if (!EMAIL_RE.test(email) || email.length > 254) throw portalErrors.invalid_party('give the party an e-mail address');
    if (!(PARTY_KINDS as readonly string[]).includes(input.kind)) throw portalErrors.invalid_party(`the kind must be one of ${PARTY_KINDS.join(', ')}`);
    if (!displayName || displayName.length > 120) throw portalErrors.invalid_party('give the party a display name (at most 120 characters)');
    const webhookUrl = this.checkWebhook(input.webhookUrl ?? null);
    if (this.store.byEmail(email)) throw portalErrors.party_exists(`a party with the e-mail address ${email} exists already`);
    const id = `p-${randomBytes(6).toString('hex')}`;
    return this.store.transaction(() => {
      const party = this.store.create({ id, kind: input.kind as PartyKind, displayName, email, webhookUrl, createdAt: new Date().toISOString(), createdBy: by });
      const noticeId = this.sendInvitation(party);
      this.ctx.logger.info({ event: 'party_invited', party: id, kind: party.kind, by }, 'party invited');
      return { party, noticeId };
    });
  }

  /** A new invitation link; earlier unused ones stop working. Only for parties that have not set a password yet. */
  resendInvitation(id: string, by: string): { noticeId: string } {
    const p = this.mustGet(id);
    if (p.status !== 'invited') throw portalErrors.party_not_invited(`party ${id} is ${p.status}: only an invited party gets a new invitation`);
    return this.store.transaction(() => {
      this.store.revokeInvitations(id, new Date().toISOString());
      const noticeId = this.sendInvitation(p);
      this.ctx.logger.info({ event: 'party_invitation_resent', party: id, by }, 'invitation sent again');
      return { noticeId };
    });
  }

  private sendInvitation(p: Party): string {
    const token = randomToken(32);
    const hash = sha256Hex(token);
    const now = new Date();
    const expires = new Date(now.getTime() + this.ctx.config.portalInviteHours * 3600_000);
    this.store.addInvitation(hash, p.id, now.toISOString(), expires.toISOString());
    const link = `${this.ctx.config.publicUrl.replace(/\/$/, '')}/portal/invite/${token}`;
    const { notice } = this.notices.send({
      recipient: { party: p.id },
      kind: 'portal_invitation',
      subject: `Your invitation to the ${this.ctx.config.siteId} partner portal`,
      text: [
        `Hello ${p.displayName},`,
        '',
        `you are invited to the portal of ${this.ctx.config.siteId} as a ${PARTY_KIND_LABELS[p.kind]}.`,
        'Set your password here (the link works once, until ' + expires.toISOString().replace('T', ' ').slice(0, 16) + ' UTC):',
        '',
        link,
        '',
        'If you did not expect this, ignore this message.',
      ].join('\n'),
      data: { party: p.id, expiresAt: expires.toISOString(), link },
      dedupeKey: `portal:invitation:${hash}`,
      secrets: [token],
    });
    this.store.setInvitationNotice(hash, notice.id);
    return notice.id;
  }

  /** The party an invitation link is for, when the link can still be used. */
  invitationParty(token: string): Party | undefined {
    const inv = this.store.invitation(sha256Hex(token));
    if (!inv || inv.usedAt || inv.revokedAt || inv.expiresAt <= new Date().toISOString()) return undefined;
    const p = this.store.get(inv.partyId);
    return p && p.status === 'invited' ? p : undefined;
  }

  /** Sets the password from an invitation link, once. Returns the party, or a reason it failed. */
  async acceptInvitation(token: string, password: string): Promise<{ ok: true; party: Party } | { ok: false; reason: 'invalid' | 'password'; message: string }> {
    const p = this.invitationParty(token);
    if (!p) return { ok: false, reason: 'invalid', message: 'This invitation link has expired or was already used. Ask the operator to send a new one.' };
    const problem = passwordProblem(password);
    if (problem) return { ok: false, reason: 'password', message: `Choose another password: ${problem}.` };
    const hash = await hashPassword(password);
    const now = new Date().toISOString();
    const used = this.store.transaction(() => {
      if (!this.store.useInvitation(sha256Hex(token), now)) return false;
      this.store.activate(p.id, hash, now);
      return true;
    });
    if (!used) return { ok: false, reason: 'invalid', message: 'This invitation link has expired or was already used. Ask the operator to send a new one.' };
    this.ctx.logger.info({ event: 'party_activated', party: p.id }, 'party set its password');
    return { ok: true, party: this.store.get(p.id)! };
  }

  suspend(id: string, by: string): Party {
    this.mustGet(id);
    this.store.transaction(() => {
      this.store.setStatus(id, 'suspended');
      this.store.dropSessions(id);
      this.store.revokeInvitations(id, new Date().toISOString());
    });
    this.ctx.logger.info({ event: 'party_suspended', party: id, by }, 'party suspended');
    return this.store.get(id)!;
  }

  reactivate(id: string, by: string): Party {
    const p = this.mustGet(id);
    if (p.status !== 'suspended') return p;
    this.store.setStatus(id, this.store.secrets(id)!.passwordHash ? 'active' : 'invited');
    this.ctx.logger.info({ event: 'party_reactivated', party: id, by }, 'party reactivated');
    return this.store.get(id)!;
  }

  /** Sets where a party's notices are also posted (the party itself or the operator); null removes it. */
  setWebhook(id: string, url: string | null): Party {
    this.mustGet(id);
    this.store.setWebhook(id, this.checkWebhook(url));
    return this.store.get(id)!;
  }

  private checkWebhook(url: string | null): string | null {
    const u = url?.trim() ?? '';
    if (!u) return null;
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw portalErrors.invalid_party('the webhook URL must be an absolute http(s) URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw portalErrors.invalid_party('the webhook URL must be an absolute http(s) URL');
    return parsed.toString();
  }

  private mustGet(id: string): Party {
    const p = this.store.get(id);
    if (!p) throw portalErrors.party_not_found(`no party "${id}"`);
    return p;
  }

  private throttle(email: string, ip: string): number {
    return Math.max(this.byIp.blockedFor(`ip:${ip}`), this.byAccount.blockedFor(`acct:${email.toLowerCase()}`));
  }

  private fail(email: string, ip: string): void {
    this.byIp.fail(`ip:${ip}`);
    this.byAccount.fail(`acct:${email.toLowerCase()}`);
  }

  /** The password step: a session, full or waiting for the TOTP code. Unknown accounts cost the same as known ones. */
  async login(email: string, password: string, ip: string): Promise<LoginResult> {
    const wait = this.throttle(email, ip);
    if (wait > 0) {
      this.ctx.logger.warn({ event: 'portal_login_throttled', email, ip }, 'portal login throttled');
      return { ok: false, reason: 'throttled', retryAfter: wait };
    }
    const p = email ? this.store.byEmail(email) : undefined;
    const secrets = p ? this.store.secrets(p.id) : undefined;
    const ok = await verifyPassword(password, secrets?.passwordHash ?? (await dummyPasswordHash()));
    if (!p || !ok || p.status !== 'active') {
      this.fail(email, ip);
      this.ctx.logger.info({ event: 'portal_login_failed', email, ip }, 'portal login failed');
      return { ok: false, reason: 'wrong' };
    }
    const stage = secrets!.totpSecret ? 'totp' : 'full';
    if (stage === 'full') this.byAccount.reset(`acct:${email.toLowerCase()}`);
    return { ok: true, party: p, stage, sid: this.newSession(p, stage) };
  }

  /** The second step: the TOTP code turns a 'totp' session into a full one (a new session id). */
  loginTotp(sid: string, code: string, ip: string): LoginResult {
    const s = this.session(sid);
    if (!s || s.stage !== 'totp') return { ok: false, reason: 'wrong' };
    const email = s.party.email;
    const wait = this.throttle(email, ip);
    if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: wait };
    const secret = this.store.secrets(s.party.id)?.totpSecret;
    const step = secret ? this.checkCode(secret, code) : null;
    if (step === null || !this.store.useTotpStep(s.party.id, step) || s.party.status !== 'active') {
      this.fail(email, ip);
      this.ctx.logger.info({ event: 'portal_totp_failed', party: s.party.id, ip }, 'portal TOTP code refused');
      return { ok: false, reason: 'wrong' };
    }
    this.byAccount.reset(`acct:${email.toLowerCase()}`);
    this.store.dropSession(sha256Hex(sid));
    return { ok: true, party: s.party, stage: 'full', sid: this.newSession(s.party, 'full') };
  }

  private newSession(p: Party, stage: 'totp' | 'full'): string {
    const sid = randomToken(32);
    const now = new Date();
    // The half-way session only lives long enough to type a code.
    const ms = stage === 'totp' ? 5 * 60_000 : this.ctx.config.portalSessionHours * 3600_000;
    this.store.createSession(sha256Hex(sid), p.id, randomToken(24), stage, now.toISOString(), new Date(now.getTime() + ms).toISOString());
    if (stage === 'full') {
      this.store.loggedIn(p.id, now.toISOString());
      this.ctx.logger.info({ event: 'portal_login', party: p.id }, 'portal login');
    }
    return sid;
  }

  /** The session a cookie names, if it is live and its party is active. */
  session(sid: string): PartySession | undefined {
    const s = this.store.session(sha256Hex(sid), new Date().toISOString());
    return s && s.party.status === 'active' ? s : undefined;
  }

  logout(sid: string): void {
    this.store.dropSession(sha256Hex(sid));
  }

  /** Step one of enabling TOTP: a new secret, shown as base32 and as an otpauth:// URI; nothing changes until a code confirms it. */
  startTotp(partyId: string): TotpSetup {
    const p = this.mustGet(partyId);
    const secret = new Secret({ size: 20 }).base32;
    this.store.setTotpPending(partyId, secret);
    return { secret, uri: this.totp(secret, p.email).toString() };
  }

  /** The pending setup, to show again (after a wrong code). */
  pendingTotp(partyId: string): TotpSetup | undefined {
    const p = this.mustGet(partyId);
    const secret = this.store.secrets(partyId)?.totpPending;
    return secret ? { secret, uri: this.totp(secret, p.email).toString() } : undefined;
  }

  /** Step two: a correct code from the pending secret enables TOTP. */
  confirmTotp(partyId: string, code: string): boolean {
    const pending = this.store.secrets(partyId)?.totpPending;
    const step = pending ? this.checkCode(pending, code) : null;
    if (!pending || step === null) return false;
    this.store.enableTotp(partyId, pending, step);
    this.ctx.logger.info({ event: 'portal_totp_enabled', party: partyId }, 'TOTP enabled');
    return true;
  }

  /** Turning TOTP off takes a current code. */
  disableTotp(partyId: string, code: string): boolean {
    const secret = this.store.secrets(partyId)?.totpSecret;
    const step = secret ? this.checkCode(secret, code) : null;
    if (!secret || step === null || !this.store.useTotpStep(partyId, step)) return false;
    this.store.disableTotp(partyId);
    this.ctx.logger.info({ event: 'portal_totp_disabled', party: partyId }, 'TOTP disabled');
    return true;
  }

  private totp(secret: string, label: string): TOTP {
    return new TOTP({ issuer: `Tieup ${this.ctx.config.siteId}`, label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD, secret: Secret.fromBase32(secret) });
  }

  /** The time step a code belongs to (one step of clock drift either way), or null. */
  private checkCode(secret: string, code: string): number | null {
    const c = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(c)) return null;
    const now = Date.now();
    const delta = this.totp(secret, '-').validate({ token: c, timestamp: now, window: 1 });
    return delta === null ? null : Math.floor(now / 1000 / TOTP_PERIOD) + delta;
  }

  housekeeping(): number {
    return this.store.dropExpiredSessions(new Date().toISOString());
  }
}
