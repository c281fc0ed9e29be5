import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { shopperFront, sharedUserMigrations, usersTermsSlice, type ShopperFront } from '../../common/users/index.js';
import { UserService } from './user-service.js';
import { UserStore } from './user-store.js';
import { mountUserCentre, usersApi, usersPages } from './users-api.js';
import { accountErrors } from '../../common/users/errors.js';
import { mainUserErrors } from './errors.js';

export interface MainUsers extends ShopperFront {
  service: UserService;
}

/**
 * The user centre: every shopper account of the network lives here; partners
 * register and check passwords over s2s. Shoppers register and log in on the
 * main site through the same account pages as on partners.
 */
export const usersModule = defineModule<MainUsers>({
  name: 'users',
  errors: [accountErrors, mainUserErrors],
  terms: usersTermsSlice,
  migrations: [...sharedUserMigrations, { namespace: 'users', dir: fromRoot('main-site/users/migrations'), adopts: { 1: 'main:6' } }],
  views: [fromRoot('main-site/users/views')],
  nav: [{ path: '/users', title: 'Shoppers', group: 'Orders' }],
  create({ ctx }) {
    const service = new UserService(ctx, new UserStore(ctx.db));
    const siteId = ctx.config.siteId;
    return {
      service,
      ...shopperFront(ctx, {
        register: (input) => service.register(input, siteId),
        login: (input, ip) => service.login(input, `${siteId}/${ip}`),
      }),
    };
  },
  s2s: (router, u, deps) => mountUserCentre(router, u.service, deps),
  consoleApi: (router, u) => router.use(usersApi(u.service)),
  consolePages: (router, u) => router.use(usersPages(u.service)),
  front: (app, u, host) => u.mountAccounts(app, host),
  jobs: (u) => [u.housekeeping()],
});

export type { UserService, PublicUser } from './user-service.js';
