import { AppError } from '../../common/errors.js';
import { S2SCallError } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { Account, UserDirectory } from '../../common/web/shopper-accounts.js';

/**
 * Accounts live at the main site: a partner registers and checks passwords
 * there over the authenticated channel and keeps no password itself. The main
 * site's refusals come back with their own status and message; an unreachable
 * main site is said plainly.
 */
export function remoteDirectory(ctx: SiteContext): UserDirectory {
  const call = async (path: string, body: unknown): Promise<Account> => {
    const main = ctx.peers.main();
    if (!main) throw new AppError(503, 'main_unreachable', 'accounts are not available on this shop yet (no main site is enrolled)');
    try {
      return (await ctx.client.call<Account>(main.id, 'POST', path, body)).body;
    } catch (err) {
      if (err instanceof S2SCallError && err.code === 'peer_error') {
        const status = Number(err.details?.status);
        const e = (err.details?.body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
        if (status >= 400 && status < 500 && e?.message) throw new AppError(status, e.code ?? 'refused', e.message, e.details);
      }
      throw new AppError(503, 'main_unreachable', 'the account service is unreachable right now; please try again in a minute');
    }
  };
  return {
    register: (input, clientIp) => call('/s2s/users/register', { ...input, clientIp }),
    login: (input, clientIp) => call('/s2s/users/login', { ...input, clientIp }),
  };
}
