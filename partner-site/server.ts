import type { SiteConfig } from '../common/config.js';
import { createSiteContext, type ContextOptions } from '../common/site/context.js';
import { runAsMain, runSite, type RunningSite } from '../common/site/runner.js';
import { createPartnerApp } from './app.js';
import { SyncStore } from './store/sync-store.js';
import { PARTNER_MIGRATIONS } from './store/migrations.js';
import { BlobStore } from './store/blob-store.js';
import { PartnerContent } from './sync/partner-content.js';
import type { PartnerSync } from './sync/receiver.js';
import { shipLog } from './logs/shipper.js';
import { PartnerShop } from './shop/partner-shop.js';
import { PartnerShopStore } from './store/shop-store.js';

export interface RunningPartner extends RunningSite {
  sync: PartnerSync;
  shop: PartnerShop;
}

/** Composition root: config -> store -> app -> listen -> scheduled jobs. */
export async function startPartnerSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningPartner> {
  if (config.role !== 'partner') throw new Error('startPartnerSite needs a partner-site configuration');
  const ctx = await createSiteContext(config, { ...opts, migrations: [PARTNER_MIGRATIONS] });
  const store = new SyncStore(ctx.db);
  const blobs = new BlobStore(ctx.db);
  const content = new PartnerContent(ctx, store, blobs);
  content.watchOriginals();
  const sync: PartnerSync = { ctx, store, blobs, content };
  const shop = new PartnerShop(ctx, new PartnerShopStore(ctx.db, config.siteId), () => content.current());
  shop.seedOriginalStock();
  content.onChange(() => shop.seedOriginalStock());
  const { app, fastPath } = createPartnerApp(sync, shop);
  // Ship the log to the main site; never two runs at once, and a failure only waits for the next run.
  let shipping = false;
  const shipTimer = setInterval(() => {
    if (shipping) return;
    shipping = true;
    void shipLog(ctx, ctx.logStore).finally(() => {
      shipping = false;
    });
  }, config.logShipMs);
  shipTimer.unref();
  const site = await runSite(ctx, app, {
    fastPath: config.fastPath ? fastPath : undefined,
    jobs: () => (shop.startPolling(config.shopStateMs), []),
    onClose: [() => clearInterval(shipTimer), () => shop.stopPolling(), () => content.close()],
  });
  return { ...site, sync, shop };
}

await runAsMain(import.meta.url, 'partner', (config) => startPartnerSite(config));
