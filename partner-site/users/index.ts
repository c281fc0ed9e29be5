import { defineModule } from '../../common/module.js';
import { sharedUserMigrations, shopperFront, usersTermsSlice, type ShopperFront } from '../../common/users/index.js';
import { remoteDirectory, type UserCopyStore } from './remote-directory.js';
import { accountErrors } from '../../common/users/errors.js';
import { partnerUserErrors } from './errors.js';

export interface PartnerUsers extends ShopperFront {
  /** Where copies of shoppers' accounts are kept, for partners whose contract grants a user copy. */
  keepCopiesIn(store: UserCopyStore): void;
}

/**
 * Shopper accounts on a partner: registered and checked at the main site over
 * s2s; this site keeps only its own sessions, and a user copy where the
 * contract grants one.
 */
export const usersModule = defineModule<PartnerUsers>({
  name: 'users',
  errors: [accountErrors, partnerUserErrors],
  terms: usersTermsSlice,
  migrations: sharedUserMigrations,
  create({ ctx }) {
    let copies: UserCopyStore | undefined;
    return {
      ...shopperFront(
        ctx,
        remoteDirectory(ctx, () => copies),
      ),
      keepCopiesIn: (store) => {
        copies = store;
      },
    };
  },
  front: (app, u, host) => u.mountAccounts(app, host),
  jobs: (u) => [u.housekeeping()],
});
