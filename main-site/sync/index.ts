import cron from 'node-cron';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';

import { readSyncTerms, siteFront, syncTermsSlice } from '../../common/sync/index.js';
import { usersModule } from '../users/index.js';
import { MainContent } from './main-content.js';
import type { MainSync } from './main-sync.js';
import { mountPartnerReports } from './partner-reports.js';
import { publish, watchContent } from './publisher.js';
import { checkDrift } from './pusher.js';
import { PushQueue } from './push-queue.js';
import { ReleaseStore } from './release-store.js';
import { PushScheduler } from './scheduler.js';
import { syncApi, syncView } from './sync-api.js';
import { syncPages } from './sync-pages.js';
import { MainSyncStore } from './sync-store.js';
import { syncConfig } from './config.js';
import { syncCli } from './cli.js';
import { syncErrors } from './errors.js';
import { pageEntry } from '../../common/sync/log-entries.js';

const migrations = [{ namespace: 'sync', dir: fromRoot('main-site/sync/migrations'), adopts: { 1: 'main:2' } }];

/**
 * Tie-up sync on the main site: releases built from the content folder,
 * pushed to partners on their schedules, approvals and reports from partners,
 * drift checks; and the site's own pages (the current release) for shoppers.
 */
export const syncModule = defineModule<MainSync>({
  name: 'sync',
  errors: [syncErrors],
  logEntryTypes: [pageEntry],
  terms: syncTermsSlice,
  migrations,
  config: syncConfig,
  cli: syncCli,
  views: [fromRoot('main-site/sync/views')],
  nav: [{ path: '/sync', title: 'Tie-up sync' }],
  create(host) {
    const { ctx } = host;
    const releases = new ReleaseStore(ctx.db);
    const syncStore = new MainSyncStore(ctx.db);
    // Pushes, answers, reports and drift all land in this store: each change refreshes open sync pages.
    syncStore.onChange((partner, kind) => ctx.live.publish('sync', kind, partner));
    const content = new MainContent(ctx, releases);
    // Read at each push, never here: the modules that provide filters may use this one.
    const deps = { ctx, releases, sync: syncStore, partnerFilters: () => host.partnerReleaseFilters() };
    const queue = new PushQueue(deps);
    const scheduler = new PushScheduler(ctx, queue);
    const m: MainSync = { ...deps, content, queue, scheduler };
    if (ctx.config.watchContent) {
      try {
        const r = publish(m, 'content at start-up', 'start-up');
        if (r.created) ctx.logger.info({ event: 'published_at_start', release: r.release.number }, 'published the content folder at start');
      } catch (err) {
        ctx.logger.warn({ event: 'publish_at_start_refused', reason: (err as Error).message }, 'the content folder cannot be published yet');
      }
      m.watcher = watchContent(m);
    }
    return m;
  },
  s2s: (router, m, deps) => mountPartnerReports(router, m, deps),
  consoleApi: (router, m) => router.use(syncApi(m)),
  consolePages: (router, m) => router.use(syncPages(m)),
  contentView: (m) => () => m.content.current(),
  frontFallback: (app, m, host) => siteFront(app, host.ctx, () => m.content.current(), host.use(usersModule).sessions),
  describePeer: (m, id) => ({ sync: syncView(m, id) }),
  onPeersChanged: (m) => m.scheduler.reconcile(),
  start: (m) => m.scheduler.reconcile(),
  jobs: (m, { ctx }) => [
    cron.schedule(
      ctx.config.driftCheckCron,
      async () => {
        for (const p of ctx.peers.list()) {
          if (p.role !== 'partner' || p.status !== 'active') continue;
          // Unreadable or absent sync terms: nothing was pushed, so there is nothing to compare (pushes report the problem).
          const t = readSyncTerms(p.contract);
          if (!t.ok || !t.terms || t.terms.partnershipType === 'link') continue;
          if (m.sync.get(p.id).activeRelease === null) continue;
          await checkDrift(m, p.id).catch((err: unknown) => ctx.logger.warn({ event: 'drift_check_failed', partner: p.id, reason: (err as Error).message }, 'drift check failed'));
        }
      },
      { name: 'drift-check', noOverlap: true },
    ),
  ],
  close: async (m) => {
    m.queue.close();
    await m.scheduler.close();
    await m.watcher?.close();
  },
});

export type { MainSync } from './main-sync.js';
export { publish } from './publisher.js';
