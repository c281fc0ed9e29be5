import { AppError } from '../../common/errors.js';
import { USERS_LOGIN, USERS_REGISTER, type RequestInput, type ResponseOutput } from '../../common/protocol/index.js';
import { peerRefusal } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import { userCopyGranted } from '../../common/users/terms.js';
import { FailureLimiter, beginAttempt } from '../../common/web/failure-limiter.js';
import { verifyPassword } from '../../common/web/password.js';
import type { Account, UserDirectory } from '../../common/users/shopper-accounts.js';
import { partnerUserErrors } from './errors.js';
import { accountErrors } from '../../common/users/errors.js';

/**
 * Accounts live at the main site: a partner registers and checks passwords
 * there over the authenticated channel and keeps no password itself, unless
 * its contract grants a user copy: then it keeps the scrypt hash and profile
 * the main site sends (refreshed at every login) and, only while the main site
 * is unreachable, checks a login against that copy. The main site's refusals
 * come back with their own status and message; an unreachable main site is
 * said plainly.
 */
/** Where a partner keeps user copies (the shop's store, which has held them since the shop came). */
export interface UserCopyStore {
  saveUserCopy(u: { id: string; email: string; name: string; passwordHash: string }): void;
  userCopy(email: string): { id: string; email: string; name: string; passwordHash: string } | undefined;
}

/** Both answer with the account (accountAnswer); send() checks that the body fits the endpoint it goes to. */
type AccountEndpoint = typeof USERS_REGISTER | typeof USERS_LOGIN;

export function remoteDirectory(ctx: SiteContext, copies: () => UserCopyStore | undefined): UserDirectory {
  // As before: a success against the copy takes back its own attempt and forgets no earlier failure.
  const offline = new FailureLimiter(ctx.config.loginMaxFailuresPerAccount, ctx.config.loginWindowSeconds * 1000);
  // Absent users terms grant no copy; unreadable ones grant none either (and say so): no login is checked against a copy on a guess.
  const userCopy = () => {
    const g = userCopyGranted(ctx.peers.main()?.contract ?? {});
    if (g.problem) ctx.logger.error({ event: 'user_copy_unused_contract_invalid', problem: g.problem }, 'the users terms cannot be read; no user copy is kept or used');
    return g.granted;
  };
  const call = async (endpoint: AccountEndpoint, body: RequestInput<AccountEndpoint>): Promise<Account> => {
    const main = ctx.peers.main();
    if (!main) throw partnerUserErrors.main_unreachable('accounts are not available on this shop yet (no main site is enrolled)');
    let a: ResponseOutput<AccountEndpoint>;
    try {
      a = (await ctx.client.send(main.id, endpoint, body)).body;
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      throw partnerUserErrors.main_unreachable('the account service is unreachable right now; please try again in a minute');
    }
    if (a.copy?.passwordHash && userCopy()) copies()?.saveUserCopy({ id: a.id, email: a.email, name: a.name, passwordHash: a.copy.passwordHash });
    return { id: a.id, email: a.email, name: a.name };
  };
  return {
    register: (input, clientIp) => call(USERS_REGISTER, { ...input, clientIp }),
    login: async (input, clientIp) => {
      try {
        return await call(USERS_LOGIN, { ...input, clientIp });
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'main_unreachable' || !userCopy()) throw err;
        const email = input.email.trim().toLowerCase();
        const copy = copies()?.userCopy(email);
        if (!copy) throw err;
        const key = `copy:${email}`;
        // Counted before the slow check, as at the main site.
        const start = beginAttempt([[offline, key]]);
        if (start.blocked) throw accountErrors.too_many_attempts('too many failed logins; try again later', { retryAfter: start.retryAfter });
        if (!(await verifyPassword(input.password, copy.passwordHash))) throw accountErrors.invalid_credentials('wrong email or password');
        start.attempt.succeeded();
        ctx.logger.info({ event: 'login_from_user_copy', userId: copy.id }, 'main site unreachable; login checked against the user copy');
        return { id: copy.id, email: copy.email, name: copy.name };
      }
    },
  };
}
