import { siteConfigSlices } from '../../../common/site/host.js';
import { runAsMain } from '../../../common/site/runner.js';
import { DELIVERY_SITE, SETTLEMENT_SITE, SUPPLIER_SITE, startDeliverySite, startSettlementSite, startSupplierSite } from './sites.js';

/**
 * The process of one coordination peer (issue 17 item 7), chosen by
 * TIEUP_COORD_PEER: "supplier" (a supplier-only site such as the demo grocer),
 * "delivery" (the delivery service) or "settlement" (the settlement agent).
 * Configured like a partner (TIEUP_SITE_ID, TIEUP_PORT, TIEUP_DATA_DIR, ...).
 */
const kind = process.env.TIEUP_COORD_PEER;
const peers = {
  supplier: { def: SUPPLIER_SITE, start: startSupplierSite },
  delivery: { def: DELIVERY_SITE, start: startDeliverySite },
  settlement: { def: SETTLEMENT_SITE, start: startSettlementSite },
} as const;
const chosen = kind === 'supplier' || kind === 'delivery' || kind === 'settlement' ? peers[kind] : undefined;
if (!chosen && import.meta.url.endsWith(process.argv[1] ?? '\u0000')) {
  console.error('TIEUP_COORD_PEER must be supplier, delivery or settlement');
  process.exit(2);
}
if (chosen) await runAsMain(import.meta.url, 'partner', siteConfigSlices(chosen.def), (config) => chosen.start(config));
