import type { ModuleHost } from '../../../common/module.js';
import { noticesModule } from '../../notices/index.js';
import { portalModule } from '../../portal/index.js';
import type { PaidService } from '../paid-service.js';
import { addStatementsSection } from './reconcile-api.js';
import { ReconcileService } from './reconcile-service.js';
import { ReconcileStore } from './reconcile-store.js';

/** Reconciliation and supplier statements ride on the paid module: one service per paid service. */
const services = new WeakMap<PaidService, ReconcileService>();

export function createReconcile(host: ModuleHost, paid: PaidService): void {
  const notices = host.has(noticesModule) ? host.use(noticesModule) : undefined;
  const rec = new ReconcileService(host.ctx, new ReconcileStore(host.ctx.db), notices, (item) => paid.items().get(item)?.item.supplier);
  services.set(paid, rec);
  if (host.has(portalModule)) addStatementsSection(host.use(portalModule), rec);
}

export function reconcileOf(paid: PaidService): ReconcileService {
  const r = services.get(paid);
  if (!r) throw new Error('reconciliation was not created with the paid service');
  return r;
}

export { mountReconcileEndpoints, reconcileApi, reconcilePages } from './reconcile-api.js';
export { reconcileCli } from './cli.js';
export type { ReconcileService } from './reconcile-service.js';
