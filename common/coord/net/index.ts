import { fromRoot } from '../../paths.js';
import type { MigrationSet } from '../../store/sqlite.js';

/** The supplier's tables, kept by every site that supplies components (partners, supplier-only sites, the main site's central stock). */
export const supplyMigrations: MigrationSet[] = [{ namespace: 'coord-supply', dir: fromRoot('common/coord/net/migrations') }];

export { supplyErrors, SUPPLY_ERRORS } from './errors.js';
export { SupplyService, supplyProfile, type SupplyProfile, type SupplyProfileInput, type DecisionSink, type SupplyOrderView } from './supply.js';
export { SupplyStore, type SupplyOrderRow } from './supply-store.js';
export { mountSupplyEndpoints, supplyApi, supplyPages } from './supply-routes.js';
export { signHandoff, readHandoff, checkHandoff, HANDOFF_TYP, HANDOFF_LIFETIME_S } from './handoff.js';
export { pageComponents, mountJobEndpoints, getComponentsLink } from './job-pages.js';
export { coordPageLog, type CoordPageLog } from './page-log.js';
