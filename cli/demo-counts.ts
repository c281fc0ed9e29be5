import type { Db } from '../common/store/sqlite.js';
import { itemInput, ruleInput, supplierAgreement } from '../common/counts/index.js';
import { CountsStore } from '../main-site/counts/index.js';

/** Fernhill Press, the demo's content supplier (cli/demo.ts DEMO_SUPPLIER). */
const FERNHILL = 'p-000000000001';

/**
 * The demo supplier's counted items and event rules (docs/counts.md), small
 * thresholds so a few clicks show events: reading trail-guide at north (each
 * key issued is a delivery) and opening /about on any site. Recorded once,
 * validated by the same schemas as the console; an operator's later changes
 * are kept.
 */
export function prepareDemoCounts(db: Db): void {
  const store = new CountsStore(db);
  if (store.item('paid:trail-guide')) return;
  db.transaction(() => {
    store.addAgreement(FERNHILL, JSON.stringify(supplierAgreement.parse({ version: 1, rateBps: 5000, pointValue: 1, currency: 'EUR' })), 'demo');
    store.putItem(itemInput.parse({ key: 'paid:trail-guide', title: 'Trail guide', supplier: FERNHILL, pricePoints: 120 }), 'demo');
    store.putItem(itemInput.parse({ key: 'page:/about', title: 'About (tie-up page)', supplier: FERNHILL, pricePoints: null }), 'demo');
    for (const r of [
      { item: 'paid:trail-guide', mode: 'every', n: 2, action: 'status_report' },
      { item: 'paid:trail-guide', mode: 'every', n: 4, action: 'revenue_statement' },
      { item: 'paid:trail-guide', mode: 'only', n: 10, action: 'new_content' },
      { item: 'page:/about', mode: 'every', n: 5, action: 'status_report' },
    ]) {
      store.addRule({ ...ruleInput.parse(r), floor: 0 }, 'demo');
    }
  })();
}

/** What the demo's banner says about counts. */
export function demoCountsLines(mainUrl: string, northUrl: string): string[] {
  return [
    `Delivery counts: Fernhill Press's trail-guide (status report every 2 keys, statement every 4, new-content request at 10) and /about`,
    `(status report every 5 views on any site): read ${northUrl}/paid/trail-guide or open /about; see ${mainUrl}/admin/counts and ${mainUrl}/portal/counts/.`,
  ];
}
