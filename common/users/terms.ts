import { z } from 'zod';
import { defineTermsSlice, readTerms, type TermsOf } from '../contract/terms.js';

/** The users terms of a partner's contract, version 1, under "users". */
export const usersTermsSchema = z
  .object({
    /** Whether the partner may keep a copy of its shoppers' password hashes and profiles (and check logins against it while the main site is unreachable). */
    userCopy: z.boolean().default(false).meta({ title: 'Keeps a copy of shopper accounts', description: 'Lets the partner check logins while the main site is unreachable.' }),
  })
  .strict();

export const usersTermsSlice = defineTermsSlice({
  key: 'users',
  version: 1,
  schema: usersTermsSchema,
  whenAbsent: 'no user copy is granted: the partner keeps no copy of any shopper account',
  // Before slices, userCopy sat inside the shop terms.
  unsliced: {
    keys: [],
    take: (old) => {
      const shop = old.shop;
      if (!shop || typeof shop !== 'object' || Array.isArray(shop) || !('userCopy' in shop)) return undefined;
      return { userCopy: (shop as Record<string, unknown>).userCopy };
    },
  },
});

export type UsersTerms = TermsOf<typeof usersTermsSlice>;

/**
 * Whether the contract grants a user copy. Absent users terms grant none; so
 * do unreadable ones (`problem` says why), since keeping shoppers' password
 * hashes is never the safe guess.
 */
export function userCopyGranted(contract: Readonly<Record<string, unknown>>): { granted: boolean; problem?: string } {
  const r = readTerms(contract, usersTermsSlice);
  if (!r.ok) return { granted: false, problem: r.problem };
  return { granted: r.terms?.userCopy === true };
}
