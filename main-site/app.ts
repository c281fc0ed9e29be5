import type express from 'express';
import { apiNotFound, createBaseApp, finishApp } from '../common/http/base-app.js';
import { fromRoot } from '../common/paths.js';
import { createConsole } from '../common/site/console-routes.js';
import { createPeerRouter } from '../common/site/s2s-setup.js';
import { partnersApi } from './console/partners-api.js';
import type { MainSync } from './sync/main-sync.js';
import { mountPartnerReports } from './sync/partner-reports.js';
import { syncApi, syncView } from './sync/sync-api.js';
import { syncPages } from './sync/sync-pages.js';
import { logsApi, mountLogShipping } from './logs/logs-api.js';
import { logsPages } from './logs/logs-pages.js';
import type { Witness } from './logs/witness.js';
import { feesApi, mountPartnerFees } from './fees/fees-api.js';
import { feesPages } from './fees/fees-pages.js';
import { mountUserCentre, usersApi, usersPages } from './users/users-api.js';
import type { UserService } from './users/user-service.js';
import type { FeeService } from './fees/fee-service.js';
import type { SiteApp } from '../common/site/runner.js';
import { mountShopFront } from '../common/shop/shop-front.js';
import type { MainShop } from './shop/main-shop.js';
import { mountShopCentre, shopApi, shopPages } from './shop/shop-api.js';
import { mainShopBackend } from './shop/main-backend.js';

export function createMainApp(m: MainSync, witness: Witness, fees: FeeService, users: UserService, shop: MainShop): SiteApp {
  const { ctx } = m;
  const app = createBaseApp(ctx);
  app.set('views', [fromRoot('main-site/views'), fromRoot('common/web/views')]);
  const { router: s2s, deps: s2sDeps } = createPeerRouter(ctx);
  mountPartnerReports(s2s, m, s2sDeps);
  mountLogShipping(s2s, witness, s2sDeps);
  mountPartnerFees(s2s, fees, s2sDeps);
  mountUserCentre(s2s, users, s2sDeps);
  mountShopCentre(s2s, shop, s2sDeps);
  app.use('/s2s', s2s);

  const consoleSetup = createConsole(ctx, {
    basePath: '/admin',
    title: 'Main console',
    peersTitle: 'Partners',
    enrolHint: 'Enrol one with "tieup partner add" or POST /admin/api/partners.',
    canSuspend: true,
    nav: [
      { href: '/admin/sync', title: 'Tie-up sync' },
      { href: '/admin/logs', title: 'Access logs' },
      { href: '/admin/fees', title: 'Fees' },
      { href: '/admin/orders', title: 'Orders' },
      { href: '/admin/users', title: 'Shoppers' },
    ],
  });
  consoleSetup.api.use('/partners', partnersApi(ctx, { describe: (id) => ({ sync: syncView(m, id) }), onChange: () => m.scheduler.reconcile() }));
  consoleSetup.api.use(syncApi(m));
  consoleSetup.api.use(logsApi(ctx, witness, (site) => fees.contract(site)));
  consoleSetup.api.use(feesApi(fees));
  consoleSetup.pages.use(feesPages(fees));
  consoleSetup.api.use(usersApi(users));
  consoleSetup.api.use(shopApi(shop));
  consoleSetup.pages.use(shopPages(shop));
  consoleSetup.pages.use(usersPages(users));
  consoleSetup.pages.use(logsPages(ctx, witness));
  consoleSetup.pages.use(syncPages(m));
  app.use('/admin/api', consoleSetup.api, apiNotFound);
  app.use('/admin', consoleSetup.pages);

  const fastPath = mountShopFront(app, ctx, {
    view: () => m.content.current(),
    backend: mainShopBackend(shop),
    directory: { register: (input) => users.register(input, ctx.config.siteId), login: (input, ip) => users.login(input, `${ctx.config.siteId}/${ip}`) },
  });
  finishApp(app, ctx);
  return { app, fastPath };
}
