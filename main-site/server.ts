import cron from 'node-cron';
import type { SiteConfig } from '../common/config.js';
import { createSiteContext, type ContextOptions } from '../common/site/context.js';
import { runAsMain, runSite, type RunningSite } from '../common/site/runner.js';
import { createMainApp } from './app.js';
import { MAIN_MIGRATIONS } from './store/migrations.js';
import { ReleaseStore } from './store/release-store.js';
import { MainSyncStore } from './store/sync-store.js';
import { syncTerms } from './sync/contract.js';
import { MainContent } from './sync/main-content.js';
import type { MainSync } from './sync/main-sync.js';
import { publish, watchContent } from './sync/publisher.js';
import { checkDrift } from './sync/pusher.js';
import { PushQueue } from './sync/push-queue.js';
import { PushScheduler } from './sync/scheduler.js';
import { Witness } from './logs/witness.js';
import { WitnessStore } from './store/witness-store.js';
import { FeeService } from './fees/fee-service.js';
import { FeeStore } from './store/fee-store.js';
import { UserService } from './users/user-service.js';
import { UserStore } from './store/user-store.js';
import { MainShop } from './shop/main-shop.js';
import { MainShopStore } from './store/shop-store.js';

export interface RunningMain extends RunningSite {
  sync: MainSync;
  witness: Witness;
  fees: FeeService;
  shop: MainShop;
}

export interface MainOptions extends Omit<ContextOptions, 'migrations'> {
  /** Publish the content folder at start and on every settled edit (default true). */
  watchContent?: boolean;
}

/** Composition root: config -> store -> app -> listen -> scheduled jobs. */
export async function startMainSite(config: SiteConfig, opts: MainOptions = {}): Promise<RunningMain> {
  if (config.role !== 'main') throw new Error('startMainSite needs a main-site configuration');
  const ctx = await createSiteContext(config, { ...opts, migrations: [MAIN_MIGRATIONS] });
  const releases = new ReleaseStore(ctx.db);
  const syncStore = new MainSyncStore(ctx.db);
  const content = new MainContent(ctx, releases);
  const deps = { ctx, releases, sync: syncStore };
  const queue = new PushQueue(deps);
  const scheduler = new PushScheduler(ctx, queue);
  const m: MainSync = { ...deps, content, queue, scheduler };

  const watch = opts.watchContent ?? true;
  if (watch) {
    try {
      const r = publish(m, 'content at start-up', 'start-up');
      if (r.created) ctx.logger.info({ event: 'published_at_start', release: r.release.number }, 'published the content folder at start');
    } catch (err) {
      ctx.logger.warn({ event: 'publish_at_start_refused', reason: (err as Error).message }, 'the content folder cannot be published yet');
    }
  }
  const watcher = watch ? watchContent(m) : undefined;

  const witness = new Witness(ctx, new WitnessStore(ctx.db));
  const fees = new FeeService(ctx, witness, new FeeStore(ctx.db), m);
  const users = new UserService(ctx, new UserStore(ctx.db));
  const shop = new MainShop(ctx, new MainShopStore(ctx.db), () => content.current(), users);
  shop.seedStock();
  content.onRefresh(() => shop.seedStock());
  const { app, fastPath } = createMainApp(m, witness, fees, users, shop);
  const site = await runSite(ctx, app, {
    fastPath: config.fastPath ? fastPath : undefined,
    jobs: () => {
      scheduler.reconcile();
      return [
        cron.schedule(
          config.driftCheckCron,
          async () => {
            for (const p of ctx.peers.list()) {
              if (p.role !== 'partner' || p.status !== 'active' || syncTerms(p.contract).partnershipType === 'link') continue;
              if (syncStore.get(p.id).activeRelease === null) continue;
              await checkDrift(m, p.id).catch((err: unknown) => ctx.logger.warn({ event: 'drift_check_failed', partner: p.id, reason: (err as Error).message }, 'drift check failed'));
            }
          },
          { name: 'drift-check', noOverlap: true },
        ),
      ];
    },
    onClose: [() => queue.close(), () => scheduler.close(), async () => watcher?.close()],
  });
  return { ...site, sync: m, witness, fees, shop };
}

await runAsMain(import.meta.url, 'main', (config) => startMainSite(config));
