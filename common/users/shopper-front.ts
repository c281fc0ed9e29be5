import type express from 'express';
import cron, { type ScheduledTask } from 'node-cron';
import type { AccountSectionHtml, ModuleHost } from '../module.js';
import { fromRoot } from '../paths.js';
import type { SiteContext } from '../site/context.js';
import type { MigrationSet } from '../store/sqlite.js';
import { shopperAccounts, type UserDirectory } from './shopper-accounts.js';
import { ShopperSessions } from './shopper-session.js';
import { ShopperSessionStore } from './shopper-session-store.js';

/** Shopper sessions are kept by every site, whoever holds the accounts. */
export const sharedUserMigrations: MigrationSet[] = [{ namespace: 'users-shared', dir: fromRoot('common/users/migrations'), adopts: { 1: 'common:3' } }];

/** What both sites' users capability offers the rest of the site: sessions, the account pages and their housekeeping. */
export interface ShopperFront {
  sessions: ShopperSessions;
  directory: UserDirectory;
  mountAccounts(app: express.Express, host: ModuleHost): void;
  housekeeping(): ScheduledTask;
}

export function shopperFront(ctx: SiteContext, directory: UserDirectory): ShopperFront {
  const store = new ShopperSessionStore(ctx.db);
  const sessions = new ShopperSessions(ctx.config.siteId, store, ctx.config.cookieSecure);
  return {
    sessions,
    directory,
    mountAccounts(app, host) {
      const sections = host.accountSections();
      app.use(
        shopperAccounts({
          siteId: ctx.config.siteId,
          directory,
          sessions,
          view: () => host.view(),
          logger: ctx.logger,
          accountSections: async (shopper) => joinAccountSections(await Promise.all(sections.map(async (s) => s({ userId: shopper.session.userId, csrfToken: shopper.session.csrfToken })))),
        }),
      );
    },
    // Hourly: sessions past their expiry.
    housekeeping: () =>
      cron.schedule(
        '0 7 * * * *',
        () => {
          const n = store.purgeExpired();
          if (n) ctx.logger.info({ event: 'shopper_sessions_purged', sessions: n }, 'expired shopper sessions removed');
        },
        { name: `${ctx.config.siteId}-shopper-sessions`, noOverlap: true },
      ),
  };
}

/** The account page's sections joined in order, with the empty-orders messages only when no section lists an order. */
export function joinAccountSections(parts: readonly AccountSectionHtml[]): string {
  const all = parts.map((x) => (typeof x === 'string' ? { html: x } : x));
  const anyOrders = all.some((x) => (x.orders ?? 0) > 0);
  return all.map((x) => x.html + (anyOrders ? '' : (x.ifNoOrders ?? ''))).join('');
}
