import type { SiteConfig } from '../../../common/config.js';
import type { ContextOptions } from '../../../common/site/context.js';
import { startHostedSite, type HostedSite, type SiteDefinition } from '../../../common/site/host.js';
import { defineModule } from '../../../common/module.js';
import { siteModule } from '../../site/index.js';
import { coordModule } from '../index.js';
import { deliveryModule, type DeliveryService } from './delivery.js';
import { settlementModule, type SettlementService } from './settlement.js';

/**
 * The coordination network's other peers (issue 17 item 7), each a small site
 * on the same ground floor as a partner: it has keys, a JWKS, a console, and
 * talks over the authenticated /s2s channel. The main site enrols each like a
 * partner and names its part in coordination (tieup coord parties).
 */
const peerConsole = (title: string): SiteDefinition['console'] => ({
  basePath: '/manage',
  title,
  peersTitle: 'Main site',
  enrolHint: 'Enrol it with "tieup main set" or PUT /manage/api/main.',
  canSuspend: false,
});

/**
 * A peer has no shopper pages: its root sends whoever opens the address the
 * start banner prints to the console, instead of a bare 404.
 */
const peerHomeModule = defineModule({
  name: 'peer-home',
  create: () => undefined,
  frontFallback(app) {
    app.get('/', (_req, res) => res.redirect(302, '/manage'));
  },
});

/** A supplier-only site: no tie-up pages, no shop; it answers quote requests and takes component orders. */
export const SUPPLIER_SITE: SiteDefinition = { role: 'partner', console: peerConsole('Supplier console'), modules: [siteModule, coordModule, peerHomeModule] };
export const DELIVERY_SITE: SiteDefinition = { role: 'partner', console: peerConsole('Delivery service console'), modules: [siteModule, deliveryModule, peerHomeModule] };
export const SETTLEMENT_SITE: SiteDefinition = { role: 'partner', console: peerConsole('Settlement agent console'), modules: [siteModule, settlementModule, peerHomeModule] };

export interface RunningSupplier extends HostedSite {
  supply: ReturnType<typeof coordModule.create>;
}
export interface RunningDelivery extends HostedSite {
  delivery: DeliveryService;
}
export interface RunningSettlement extends HostedSite {
  settlement: SettlementService;
}

export async function startSupplierSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningSupplier> {
  const site = await startHostedSite(config, SUPPLIER_SITE, opts);
  return { ...site, supply: site.use(coordModule) };
}

export async function startDeliverySite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningDelivery> {
  const site = await startHostedSite(config, DELIVERY_SITE, opts);
  return { ...site, delivery: site.use(deliveryModule) };
}

export async function startSettlementSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningSettlement> {
  const site = await startHostedSite(config, SETTLEMENT_SITE, opts);
  return { ...site, settlement: site.use(settlementModule) };
}
