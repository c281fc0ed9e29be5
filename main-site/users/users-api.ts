import express from 'express';
import { AppError } from '../../common/errors.js';
import { s2sRoute, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { UserService } from './user-service.js';

/** Partners register and log in shoppers here, over the authenticated channel. */
export function mountUserCentre(router: express.Router, users: UserService, deps: S2SServerDeps): void {
  const onlyPartners = (role: string) => {
    if (role !== 'partner') throw new AppError(403, 'not_a_partner', 'only partners use the user centre');
  };
  router.post(
    '/users/register',
    s2sRoute(deps, async (s2s) => {
      onlyPartners(s2s.peer.role);
      return { status: 201, body: await users.register((s2s.body ?? {}) as Record<string, unknown>, s2s.peer.id) };
    }),
  );
  router.post(
    '/users/login',
    s2sRoute(deps, async (s2s) => {
      onlyPartners(s2s.peer.role);
      const b = (s2s.body ?? {}) as Record<string, unknown>;
      // Throttling counts the shopper's own address (as the partner saw it), per partner.
      return { body: await users.login(b, `${s2s.peer.id}/${typeof b.clientIp === 'string' ? b.clientIp.slice(0, 64) : '?'}`) };
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
