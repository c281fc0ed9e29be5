import type { SiteConfig } from '../common/config.js';
import type { ContextOptions } from '../common/site/context.js';
import { siteConfigSlices, startHostedSite, type HostedSite, type SiteDefinition } from '../common/site/host.js';
import { runAsMain } from '../common/site/runner.js';
import { feesModule } from './fees/index.js';
import { logsModule } from './logs/index.js';
import { paidModule, type PartnerPaid } from './paid/index.js';
import { shopModule, type PartnerShop } from './shop/index.js';
import { siteModule } from './site/index.js';
import { syncModule, type PartnerSync } from './sync/index.js';
import { usersModule } from './users/index.js';
import { plannedModule, type PartnerPlanned } from './planned/index.js';
import { coordModule, type SupplyService } from './coord/index.js';
import { shopperOrdersModule } from './shopper-orders/index.js';
import { adsModule } from './ads/index.js';
import { newsModule } from './news/index.js';

/** A partner site: its console's wording and its capabilities, in the order they are mounted. */
export const PARTNER_SITE: SiteDefinition = {
  role: 'partner',
  console: {
    basePath: '/manage',
    title: 'Partner console',
    peersTitle: 'Main site',
    enrolHint: 'Enrol it with "tieup main set" or PUT /manage/api/main.',
    canSuspend: false,
  },
  modules: [siteModule, syncModule, logsModule, feesModule, shopModule, usersModule, paidModule, plannedModule, coordModule, shopperOrdersModule, adsModule, newsModule],
};

export interface RunningPartner extends HostedSite {
  sync: PartnerSync;
  shop: PartnerShop;
  paid: PartnerPaid;
  planned: PartnerPlanned;
  coord: SupplyService;
}

export async function startPartnerSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningPartner> {
  const site = await startHostedSite(config, PARTNER_SITE, opts);
  return { ...site, sync: site.use(syncModule), shop: site.use(shopModule), paid: site.use(paidModule), planned: site.use(plannedModule), coord: site.use(coordModule) };
}

await runAsMain(import.meta.url, 'partner', siteConfigSlices(PARTNER_SITE), (config) => startPartnerSite(config));
