import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from '../web/password.js';
import { defineEndpoint } from './endpoint.js';

/**
 * Users: a partner registers and logs in shoppers at the main site. The
 * shopper reads the main site's refusals (invalid_registration lists its
 * problems in words), so the request bounds here only bound the resource and
 * sit well above the service's own rules (name <= 100, password <= 1024).
 */
const email = z.string().max(1024);
const password = z.string().max(4 * MAX_PASSWORD_LENGTH);
/** The shopper's address as the partner saw it (empty when unknown); throttling counts it. */
const clientIp = z.string().max(100);

// news: the shopper ticked "send me news" on the partner's registration form (docs/news.md); absent from older partners.
export const usersRegisterRequest = z.strictObject({ email, name: z.string().max(1024), password, clientIp, news: z.boolean().optional() });
export const usersLoginRequest = z.strictObject({ email, password, clientIp });

/** The account, and with a contract that grants a user copy, the scrypt hash (never the password). */
export const accountAnswer = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an account id is 1-64 letters, digits, "-" or "_"'),
  email: z.string().min(3).max(320),
  name: z.string().min(1).max(100),
  // passwordHash is absent when the account has none to give (JSON drops undefined).
  copy: z.strictObject({ passwordHash: z.string().min(1).max(512).optional() }).optional(),
});

export const USERS_REGISTER = defineEndpoint({
  name: 'users.register',
  method: 'POST',
  path: '/s2s/users/register',
  request: usersRegisterRequest,
  response: accountAnswer,
  errors: ['invalid_registration', 'email_taken'],
  callers: 'partner',
});

export const USERS_LOGIN = defineEndpoint({
  name: 'users.login',
  method: 'POST',
  path: '/s2s/users/login',
  request: usersLoginRequest,
  response: accountAnswer,
  errors: ['too_many_attempts', 'invalid_credentials'],
  callers: 'partner',
});
