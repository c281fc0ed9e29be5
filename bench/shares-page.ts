// The planned-page serving figures bench:shares folds into its report (it loads this module by name).
import { fmt } from './lib/report.js';
import { pageRatio } from './planned-page.js';

export async function pageBench(): Promise<{ rows: [string, string][]; figures: Record<string, number> }> {
  const r = await pageRatio();
  return {
    rows: [
      [`planned page on a partner, ${r.contributions} contributions`, `${fmt(r.planned_page_rps)} pages/s`],
      ['shop product page, same partner', `${fmt(r.product_page_rps)} pages/s`],
      ['page_ratio', `${fmt(r.page_ratio, 2)}   target >= 0.9  (median of ${r.rounds} paired rounds, rounds ${fmt(r.page_ratio_low, 2)}-${fmt(r.page_ratio_high, 2)})`],
    ],
    figures: { page_ratio: r.page_ratio, planned_page_rps: r.planned_page_rps, product_page_rps: r.product_page_rps },
  };
}
