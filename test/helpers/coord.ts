import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteConfigInput } from '../../common/config.js';
import type { SupplyProfileInput } from '../../common/coord/net/index.js';
import { generateSiteKeys } from '../../common/keys/keystore.js';
import type { RunningSite } from '../../common/site/runner.js';
import type { RunningMain } from '../../main-site/server.js';
import type { RunningPartner } from '../../partner-site/server.js';
import { startDeliverySite, startSettlementSite, startSupplierSite, type RunningDelivery, type RunningSettlement, type RunningSupplier } from '../../partner-site/coord/peers/sites.js';
import { enrolPair, siteConfig, startSite, tempDir } from './network.js';

/** A supplier profile with sensible defaults: delivery and pickup, cash and electronic, EUR. */
export function profile(name: string, goods: SupplyProfileInput['goods'], extra: Partial<SupplyProfileInput> = {}): SupplyProfileInput {
  const shopId = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return {
    name,
    dispatch: { name: `${name} shop`, address: `1 ${name} Street, Porttown` },
    currency: 'EUR',
    goods,
    fulfilment: [
      { id: 'delivery', method: 'delivery', fee: { amount: 300, currency: 'EUR' }, readyInMinutes: 120 },
      { id: 'pickup', method: 'pickup', fee: { amount: 0, currency: 'EUR' }, shop: { id: shopId, name: `${name} shop`, address: `1 ${name} Street, Porttown` }, readyInMinutes: 30 },
    ],
    payments: ['cash_on_delivery', 'electronic'],
    ...extra,
  };
}

export interface CoordNetwork {
  dir: string;
  main: RunningMain;
  partners: Record<string, RunningPartner>;
  grocers: Record<string, RunningSupplier>;
  delivery: RunningDelivery;
  settlement: RunningSettlement;
  close(): Promise<void>;
}

async function startPeer<T extends RunningSite>(dir: string, id: string, start: (c: ReturnType<typeof siteConfig>) => Promise<T>, extra: Partial<SiteConfigInput>): Promise<T> {
  await generateSiteKeys(join(dir, 'keys'), id);
  const site = await start(siteConfig('partner', id, dir, extra));
  site.ctx.config.publicUrl = site.url;
  return site;
}

/**
 * The coordination network on loopback: the main site (with an optional
 * central stock), partners and supplier-only sites as suppliers, the delivery
 * service and the settlement agent, each enrolled at the main site like a
 * partner and named as a coordination party. `via` lets a test put something
 * (a recording proxy) between the main site and a peer.
 */
export async function startCoordNetwork(o: {
  central?: SupplyProfileInput;
  partners?: Record<string, SupplyProfileInput>;
  grocers?: Record<string, SupplyProfileInput>;
  main?: Partial<SiteConfigInput>;
  via?: (peerId: string, url: string) => Promise<string> | string;
}): Promise<CoordNetwork> {
  const dir = tempDir('tieup-coord-');
  const main = await startSite('main', 'main', dir, { coordSweepMs: 100, ...o.main });
  const closers: RunningSite[] = [main];
  const enrol = async (peer: RunningSite, kind: 'supplier' | 'delivery' | 'settlement') => {
    await enrolPair(dir, main, peer);
    if (o.via) main.ctx.peers.setBaseUrl(peer.ctx.config.siteId, await o.via(peer.ctx.config.siteId, peer.url));
    main.coord.setParty(peer.ctx.config.siteId, kind, 'test');
  };
  if (o.central) main.coord.central.setProfile(o.central);
  const partners: Record<string, RunningPartner> = {};
  for (const [id, p] of Object.entries(o.partners ?? {})) {
    const site = await startSite('partner', id, dir);
    closers.push(site);
    site.coord.setProfile(p);
    await enrol(site, 'supplier');
    partners[id] = site;
  }
  const grocers: Record<string, RunningSupplier> = {};
  for (const [id, p] of Object.entries(o.grocers ?? {})) {
    const site = await startPeer(dir, id, startSupplierSite, {});
    closers.push(site);
    site.supply.setProfile(p);
    await enrol(site, 'supplier');
    grocers[id] = site;
  }
  const delivery = await startPeer(dir, 'courier', startDeliverySite, {});
  closers.push(delivery);
  await enrol(delivery, 'delivery');
  const settlement = await startPeer(dir, 'payagent', startSettlementSite, {});
  closers.push(settlement);
  await enrol(settlement, 'settlement');
  return {
    dir,
    main,
    partners,
    grocers,
    delivery,
    settlement,
    async close() {
      await Promise.all(closers.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for a condition (a decision travelling back, a sweep), polling. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
