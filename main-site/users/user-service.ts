import { randomUUID } from 'node:crypto';
import type { SiteContext } from '../../common/site/context.js';
import { FailureLimiter, beginAttempt } from '../../common/web/failure-limiter.js';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from '../../common/web/password.js';
import type { UserStore } from './user-store.js';
import { mainUserErrors } from './errors.js';
import { accountErrors } from '../../common/users/errors.js';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
}

const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;

/** The network's user information centre: accounts and password checks for every site. */
export class UserService {
  private readonly byAccount: FailureLimiter;
  private readonly byIp: FailureLimiter;

  constructor(
    private readonly ctx: SiteContext,
    private readonly store: UserStore,
  ) {
    const w = ctx.config.loginWindowSeconds * 1000;
    // A successful login forgets its account's failures, not its address's.
    this.byAccount = new FailureLimiter(ctx.config.loginMaxFailuresPerAccount, w, true);
    this.byIp = new FailureLimiter(ctx.config.loginMaxFailuresPerIp, w);
  }

  private readonly registered: ((user: PublicUser & { site: string; news: boolean }) => void)[] = [];

  /** Extension point: told of every new account, with the site it registered on and whether it asked for news (news keeps that consent). */
  onRegistered(fn: (user: PublicUser & { site: string; news: boolean }) => void): void {
    this.registered.push(fn);
  }

  async register(raw: { email?: unknown; name?: unknown; password?: unknown; news?: unknown }, site: string): Promise<PublicUser> {
    const email = typeof raw.email === 'string' ? raw.email.trim().toLowerCase() : '';
    const name = typeof raw.name === 'string' ? raw.name.trim() : '';
    const password = typeof raw.password === 'string' ? raw.password : '';
    const problems: string[] = [];
    if (!EMAIL_RE.test(email)) problems.push('enter a valid email address');
    if (name.length < 1 || name.length > 100) problems.push('enter your name (1 to 100 characters)');
    const pw = passwordProblem(password);
    if (pw) problems.push(pw);
    if (problems.length) throw mainUserErrors.invalid_registration(problems.join('; '), { problems });
    const user = { id: randomUUID(), email, name, passwordHash: await hashPassword(password), registeredSite: site, createdAt: new Date().toISOString() };
    if (!this.store.insert(user)) throw mainUserErrors.email_taken('an account with this email already exists; log in instead');
    this.ctx.logger.info({ event: 'user_registered', userId: user.id, site }, 'shopper registered');
    for (const fn of this.registered) fn({ id: user.id, email, name, site, news: raw.news === true });
    return { id: user.id, email, name };
  }

  /** Checks a password, throttled per account and per client address. */
  async login(raw: { email?: unknown; password?: unknown }, clientIp: string): Promise<PublicUser> {
    const email = typeof raw.email === 'string' ? raw.email.trim().toLowerCase().slice(0, 260) : '';
    const password = typeof raw.password === 'string' ? raw.password : '';
    const acct = `acct:${email}`;
    const ip = `ip:${clientIp}`;
    // Counted before the slow scrypt check, so logins sent at once (here or through partners) are throttled like logins sent one by one.
    const start = beginAttempt([
      [this.byAccount, acct],
      [this.byIp, ip],
    ]);
    if (start.blocked) throw accountErrors.too_many_attempts(`too many failed logins; try again in ${Math.ceil(start.retryAfter / 60)} minute(s)`, { retryAfter: start.retryAfter });
    const user = email ? this.store.byEmail(email) : undefined;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) throw accountErrors.invalid_credentials('wrong email or password');
    start.attempt.succeeded();
    return { id: user.id, email: user.email, name: user.name };
  }

  passwordHashOf(id: string): string | undefined {
    return this.store.byId(id)?.passwordHash;
  }

  /** The account as the network knows it (what an order's contact details come from), or undefined. */
  account(id: string): PublicUser | undefined {
    const u = this.store.byId(id);
    return u ? { id: u.id, email: u.email, name: u.name } : undefined;
  }

  exists(id: string): boolean {
    return this.store.byId(id) !== undefined;
  }

  /** The account's birth date (YYYY-MM-DD): undefined for no such user, null when none was given. */
  birthDate(id: string): string | null | undefined {
    return this.store.birthDate(id);
  }

  /** Sets (or with null clears) a shopper's birth date, for items with a minimum age. */
  setBirthDate(id: string, date: string | null): void {
    if (date !== null && (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))) throw mainUserErrors.invalid_birth_date('a birth date is YYYY-MM-DD');
    if (!this.store.setBirthDate(id, date)) throw mainUserErrors.user_not_found(`there is no shopper ${id}`);
  }

  /** The site an account registered on, or undefined for no such account. */
  registeredSite(id: string): string | undefined {
    return this.store.byId(id)?.registeredSite;
  }

  list() {
    return this.store.list().map((u) => ({ id: u.id, email: u.email, name: u.name, registeredSite: u.registeredSite, createdAt: u.createdAt }));
  }
}
