import type { SiteConfig } from '../common/config.js';
import type { ContextOptions } from '../common/site/context.js';
import { siteConfigSlices, startHostedSite, type HostedSite, type SiteDefinition } from '../common/site/host.js';
import { runAsMain } from '../common/site/runner.js';
import { feesModule, type FeeService } from './fees/index.js';
import { logsModule, type Witness } from './logs/index.js';
import { paidModule, paidReportsModule, type PaidService, type ReportService } from './paid/index.js';
import { shopModule, type MainShop } from './shop/index.js';
import { siteModule } from './site/index.js';
import { syncModule, type MainSync } from './sync/index.js';
import { usersModule } from './users/index.js';
import { noticesModule, type NoticeService } from './notices/index.js';
import { portalModule, type PortalService } from './portal/index.js';
import { plannedModule, plannedSharesModule, type PlannedService } from './planned/index.js';
import { countsModule } from './counts/index.js';
import { coordModule, type Coordinator } from './coord/index.js';
import { shopperOrdersModule } from './shopper-orders/index.js';
import { adsModule } from './ads/index.js';
import { newsModule } from './news/index.js';

/** The main site: its console's wording and its capabilities, in the order they are mounted. */
export const MAIN_SITE: SiteDefinition = {
  role: 'main',
  console: {
    basePath: '/admin',
    title: 'Main console',
    peersTitle: 'Partners',
    enrolHint: 'Enrol one with "tieup partner add" or POST /admin/api/partners.',
    canSuspend: true,
  },
  modules: [
    siteModule,
    syncModule,
    logsModule,
    feesModule,
    shopModule,
    usersModule,
    noticesModule,
    plannedModule,
    portalModule,
    paidModule,
    paidReportsModule,
    plannedSharesModule,
    countsModule,
    coordModule,
    shopperOrdersModule,
    adsModule,
    newsModule,
  ],
};

export interface RunningMain extends HostedSite {
  sync: MainSync;
  witness: Witness;
  fees: FeeService;
  shop: MainShop;
  notices: NoticeService;
  portal: PortalService;
  paid: PaidService;
  paidReports: ReportService;
  planned: PlannedService;
  coord: Coordinator;
}

export interface MainOptions extends Omit<ContextOptions, 'migrations'> {
  /** Publish the content folder at start and on every settled edit (default: the configuration's watchContent). */
  watchContent?: boolean;
}

export async function startMainSite(config: SiteConfig, opts: MainOptions = {}): Promise<RunningMain> {
  const { watchContent, ...rest } = opts;
  const site = await startHostedSite({ ...config, watchContent: watchContent ?? config.watchContent }, MAIN_SITE, rest);
  return {
    ...site,
    sync: site.use(syncModule),
    witness: site.use(logsModule).witness,
    fees: site.use(feesModule),
    shop: site.use(shopModule),
    notices: site.use(noticesModule),
    portal: site.use(portalModule),
    paid: site.use(paidModule),
    paidReports: site.use(paidReportsModule),
    planned: site.use(plannedModule),
    coord: site.use(coordModule),
  };
}

await runAsMain(import.meta.url, 'main', siteConfigSlices(MAIN_SITE), (config) => startMainSite(config));
