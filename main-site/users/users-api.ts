import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../common/web/csv.js';
import { z } from 'zod';
import express from 'express';
import { USERS_LOGIN, USERS_REGISTER } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { UserService } from './user-service.js';
import { userCopyGranted } from '../../common/users/terms.js';
import type { Peer } from '../../common/store/peer-store.js';

/** Partners register and log in shoppers here, over the authenticated channel. */
export function mountUserCentre(router: express.Router, users: UserService, deps: S2SServerDeps): void {
  // A partner whose contract grants a user copy also gets the scrypt hash, never the password.
  // Unreadable users terms grant nothing: a password hash is never sent on a guess.
  const withCopy = (peer: Peer, u: { id: string; email: string; name: string }) => {
    const g = userCopyGranted(peer.contract);
    if (g.problem) deps.logger.error({ event: 'user_copy_withheld_contract_invalid', partner: peer.id, problem: g.problem }, `no user copy sent to ${peer.id}: its users terms cannot be read`);
    return g.granted ? { ...u, copy: { passwordHash: users.passwordHashOf(u.id) } } : u;
  };
  s2sEndpoint(router, deps, USERS_REGISTER, async (s2s, body) => {
    const u = await users.register(body, s2s.peer.id);
    return { status: 201, body: withCopy(s2s.peer, u) };
  });
  s2sEndpoint(router, deps, USERS_LOGIN, async (s2s, body) => {
    // Throttling counts the shopper's own address (as the partner saw it), per partner.
    const u = await users.login(body, `${s2s.peer.id}/${body.clientIp.slice(0, 64)}`);
    return { body: withCopy(s2s.peer, u) };
  });
}

export function usersApi(users: UserService): express.Router {
  const r = express.Router();
  r.get('/users', (_req, res) => {
    res.json({ users: users.list() });
  });
  // Minimal: the operator records a birth date (paid items with a minimum age read it); null clears it.
  r.put('/users/:id/birth-date', express.json({ limit: '1kb' }), (req, res) => {
    const date = (req.body as { birthDate?: unknown } | undefined)?.birthDate;
    users.setBirthDate(req.params.id, typeof date === 'string' ? date : null);
    res.json({ id: req.params.id, birthDate: users.birthDate(req.params.id) ?? null });
  });
  return r;
}

/** The shoppers list's filters: words in the e-mail or name, and the site registered on. */
const shopperFilter = z.strictObject({
  q: z.string().trim().max(100, 'search: at most 100 characters').optional(),
  site: z
    .string()
    .regex(/^([a-z][a-z0-9-]{0,31})?$/, 'site: a site id')
    .optional(),
});

/** A text field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: names are what shoppers typed. */

/** /admin/users: shoppers, with the site each registered on; filtered by words and site, and as CSV. */
export function usersPages(users: UserService): express.Router {
  const r = express.Router();
  const filtered = (query: unknown) => {
    const f = shopperFilter.safeParse(query);
    if (!f.success) return { error: f.error.issues[0]!.message, filter: { q: '', site: '' }, users: [] };
    const words = (f.data.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const site = f.data.site ?? '';
    const list = users.list().filter((u) => (!site || u.registeredSite === site) && words.every((w) => `${u.email} ${u.name}`.toLowerCase().includes(w)));
    return { error: null, filter: { q: f.data.q ?? '', site }, users: list };
  };
  r.get('/users', (req, res) => {
    const out = filtered(req.query);
    const sites = [...new Set(users.list().map((u) => u.registeredSite))].sort();
    res.status(out.error ? 400 : 200).render('main-users', { title: 'Shoppers', ...out, sites });
  });
  r.get('/users.csv', (req, res) => {
    const out = filtered(req.query);
    if (out.error) {
      res.status(400).type('text/plain').send(`${out.error}\n`);
      return;
    }
    const csv = stringify([['id', 'email', 'name', 'registered_site', 'created_at'], ...out.users.map((u) => [u.id, u.email, u.name, u.registeredSite, u.createdAt])], {
      record_delimiter: 'windows',
      cast: { string: spreadsheetSafe },
    });
    res.type('text/csv').set('Content-Disposition', 'attachment; filename="shoppers.csv"').send(csv);
  });
  return r;
}
