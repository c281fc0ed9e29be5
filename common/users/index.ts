// The part of the users capability both kinds of site run: shopper sessions and the account pages.
export { sharedUserMigrations, shopperFront, type ShopperFront } from './shopper-front.js';
export type { Account, UserDirectory } from './shopper-accounts.js';
export { safeNext, type CurrentShopper, type ShopperSessions } from './shopper-session.js';
export { userCopyGranted, usersTermsSchema, usersTermsSlice, type UsersTerms } from './terms.js';
