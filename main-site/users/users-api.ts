import express from 'express';
import { s2sRoute, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { UserService } from './user-service.js';
import { userCopyGranted } from '../../common/users/terms.js';
import type { Peer } from '../../common/store/peer-store.js';
import { mainUserErrors } from './errors.js';

/** Partners register and log in shoppers here, over the authenticated channel. */
export function mountUserCentre(router: express.Router, users: UserService, deps: S2SServerDeps): void {
  const onlyPartners = (role: string) => {
    if (role !== 'partner') throw mainUserErrors.not_a_partner('only partners use the user centre');
  };
  // A partner whose contract grants a user copy also gets the scrypt hash, never the password.
  // Unreadable users terms grant nothing: a password hash is never sent on a guess.
  const withCopy = (peer: Peer, u: { id: string; email: string; name: string }) => {
    const g = userCopyGranted(peer.contract);
    if (g.problem) deps.logger.error({ event: 'user_copy_withheld_contract_invalid', partner: peer.id, problem: g.problem }, `no user copy sent to ${peer.id}: its users terms cannot be read`);
    return g.granted ? { ...u, copy: { passwordHash: users.passwordHashOf(u.id) } } : u;
  };
  router.post(
    '/users/register',
    s2sRoute(deps, async (s2s) => {
      onlyPartners(s2s.peer.role);
      const u = await users.register((s2s.body ?? {}) as Record<string, unknown>, s2s.peer.id);
      return { status: 201, body: withCopy(s2s.peer, u) };
    }),
  );
  router.post(
    '/users/login',
    s2sRoute(deps, async (s2s) => {
      onlyPartners(s2s.peer.role);
      const b = (s2s.body ?? {}) as Record<string, unknown>;
      // Throttling counts the shopper's own address (as the partner saw it), per partner.
      const u = await users.login(b, `${s2s.peer.id}/${typeof b.clientIp === 'string' ? b.clientIp.slice(0, 64) : '?'}`);
      return { body: withCopy(s2s.peer, u) };
    }),
  );
}

export function usersApi(users: UserService): express.Router {
  const r = express.Router();
  r.get('/users', (_req, res) => {
    res.json({ users: users.list() });
  });
  return r;
}

/** /admin/users: shoppers, with the site each registered on. */
export function usersPages(users: UserService): express.Router {
  const r = express.Router();
  r.get('/users', (_req, res) => {
    res.render('main-users', { title: 'Shoppers', users: users.list() });
  });
  return r;
}
