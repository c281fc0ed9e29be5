import type express from 'express';
import { apiNotFound, createBaseApp, finishApp } from '../common/http/base-app.js';
import { fromRoot } from '../common/paths.js';
import { createConsole } from '../common/site/console-routes.js';
import { createPeerRouter } from '../common/site/s2s-setup.js';
import { mainApi } from './console/main-api.js';
import { ownLogApi } from './logs/logs-api.js';
import { partnerFeesApi } from './fees/fees-api.js';
import { partnerFeesPages } from './fees/fees-pages.js';
import { remoteDirectory } from './users/remote-directory.js';
import { ownLogPages } from './logs/logs-pages.js';
import { syncApi, syncPages } from './sync/manager-routes.js';
import { mountSyncReceiver, type PartnerSync } from './sync/receiver.js';
import type { SiteApp } from '../common/site/runner.js';
import { mountShopFront } from '../common/shop/shop-front.js';
import type { PartnerShop } from './shop/partner-shop.js';
import { managerShopApi, managerShopPages, mountShopReports } from './shop/manager-shop.js';

export function createPartnerApp(p: PartnerSync, shop: PartnerShop): SiteApp {
  const { ctx } = p;
  const app = createBaseApp(ctx);
  app.set('views', [fromRoot('partner-site/views'), fromRoot('common/web/views')]);
  const { router: s2s, deps: s2sDeps } = createPeerRouter(ctx);
  mountSyncReceiver(s2s, p, s2sDeps);
  mountShopReports(s2s, shop, s2sDeps);
  app.use('/s2s', s2s);

  const consoleSetup = createConsole(ctx, {
    basePath: '/manage',
    title: 'Partner console',
    peersTitle: 'Main site',
    enrolHint: 'Enrol it with "tieup main set" or PUT /manage/api/main.',
    canSuspend: false,
    nav: [
      { href: '/manage/sync', title: 'Tie-up releases' },
      { href: '/manage/logs', title: 'Access log' },
      { href: '/manage/fees', title: 'Fees' },
      { href: '/manage/orders', title: 'Orders' },
    ],
  });
  consoleSetup.api.use('/main', mainApi(ctx));
  consoleSetup.api.use(syncApi(p));
  consoleSetup.api.use(ownLogApi(ctx));
  consoleSetup.api.use(partnerFeesApi(ctx));
  consoleSetup.pages.use(partnerFeesPages(ctx));
  consoleSetup.pages.use(ownLogPages(ctx));
  consoleSetup.pages.use(syncPages(p));
  consoleSetup.api.use(managerShopApi(shop));
  consoleSetup.pages.use(managerShopPages(shop));
  app.use('/manage/api', consoleSetup.api, apiNotFound);
  app.use('/manage', consoleSetup.pages);

  // Shoppers: tie-up pages from the active release, original pages from the partner's folder.
  const fastPath = mountShopFront(app, ctx, { view: () => p.content.current(), backend: shop, directory: remoteDirectory(ctx, shop.store) });
  finishApp(app, ctx);
  return { app, fastPath };
}
