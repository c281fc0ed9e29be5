import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { siteFront, syncTermsSlice } from '../../common/sync/index.js';
import { usersModule } from '../users/index.js';
import { BlobStore } from './blob-store.js';
import { syncApi, syncPages } from './manager-routes.js';
import { PartnerContent } from './partner-content.js';
import { mountSyncReceiver, type PartnerSync } from './receiver.js';
import { reportDamage } from './manager-actions.js';
import { SyncStore } from './sync-store.js';
import { syncConfig } from './config.js';
import { syncErrors } from './errors.js';
import { pageEntry } from '../../common/sync/log-entries.js';

/**
 * Tie-up sync on a partner: receives, checks and stages releases from the
 * main site, the manager's approval, activation and rollback; and serves the
 * active release's tie-up pages beside the partner's own original pages.
 */
export const syncModule = defineModule<PartnerSync>({
  name: 'sync',
  errors: [syncErrors],
  logEntryTypes: [pageEntry],
  terms: syncTermsSlice,
  migrations: [{ namespace: 'sync', dir: fromRoot('partner-site/sync/migrations'), adopts: { 1: 'partner:2', 2: 'partner:3' } }],
  config: syncConfig,
  views: [fromRoot('partner-site/sync/views')],
  nav: [{ path: '/sync', title: 'Tie-up releases' }],
  create({ ctx }) {
    const store = new SyncStore(ctx.db);
    const blobs = new BlobStore(ctx.db);
    const content = new PartnerContent(ctx, store, blobs);
    content.watchOriginals();
    return { ctx, store, blobs, content };
  },
  s2s: (router, p, deps) => mountSyncReceiver(router, p, deps),
  consoleApi: (router, p) => router.use(syncApi(p)),
  consolePages: (router, p) => router.use(syncPages(p)),
  contentView: (p) => () => p.content.current(),
  frontFallback: (app, p, host) => siteFront(app, host.ctx, () => p.content.current(), host.use(usersModule).sessions),
  // Damaged stored files (found when the view was built at start, or later when read) are told to the main site at once.
  start: (p) => p.content.onDamage((paths) => void reportDamage(p, paths)),
  close: (p) => p.content.close(),
});

export type { PartnerSync } from './receiver.js';
