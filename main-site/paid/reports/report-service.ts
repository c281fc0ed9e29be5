import type { SiteContext } from '../../../common/site/context.js';
import { formatMoney } from '../../../common/money.js';
import { daySpan } from '../../../common/web/format.js';
import type { NoticeService } from '../../notices/index.js';
import type { PortalService } from '../../portal/index.js';
import type { PaidService } from '../paid-service.js';
import { CYCLES, cycleOf, isCycle, lastClosed, type Cycle, type CycleWindow } from './cycles.js';
import { reportErrors } from './errors.js';
import type { CycleChoice, KeyCell, ReportStore, SubscriptionCell } from './report-store.js';
import { tabulate, type ItemInfo, type Tabulated } from './tabulate.js';

/** The log checkpoint a report rests on: every key and subscription it counts was written to the log up to this size. */
export interface RestsOn {
  size: number;
  root: string;
  time: string;
}

export interface SalesReport extends Tabulated {
  generatedAt: string;
  restsOn: RestsOn | null;
}

/** Suppliers that never chose get the monthly report only (the one every row of seed Fig. 26 has). */
export const DEFAULT_CYCLES: Record<Cycle, boolean> = { daily: false, weekly: false, monthly: true };

/** How long after a cycle ends its report is sent: keys issued in its last moments are in the log and under a checkpoint by then. */
export const CLOSE_GRACE_MS = 60_000;

/**
 * Sales reports for suppliers (seed 【0141】-【0151】, Figs. 23-26): per item
 * totalled by partner and per partner totalled by item, in each supplier's
 * chosen cycles, from the main site's records of issued keys and
 * subscriptions; and the job that sends each supplier its report when a
 * cycle closes.
 */
export class ReportService {
  constructor(
    private readonly ctx: SiteContext,
    private readonly paid: PaidService,
    readonly store: ReportStore,
    private readonly portal: PortalService,
    private readonly notices: NoticeService,
  ) {}

  /** The items of the current release, as the reports see them. */
  catalog(): Map<string, ItemInfo> {
    const out = new Map<string, ItemInfo>();
    for (const [id, { item }] of this.paid.items()) out.set(id, { id, title: item.title, supplier: item.supplier, category: item.category, chargeType: item.charge.type });
    return out;
  }

  /** The cycle a request names; without a period, the last closed one. */
  window(cycle: unknown, period: unknown, now = new Date()): CycleWindow {
    const c = cycle === undefined || cycle === '' ? 'monthly' : cycle;
    if (!isCycle(c)) throw reportErrors.invalid_cycle();
    if (period === undefined || period === '') return lastClosed(c, now);
    const w = typeof period === 'string' ? cycleOf(c, period) : undefined;
    if (!w) throw reportErrors.invalid_period(`a ${c} period is written ${c === 'daily' ? '2026-11-30' : c === 'weekly' ? '2026-W49' : '2026-11'}`);
    return w;
  }

  /** One cycle's report: every item (supplier null, the operator's) or only one supplier's. */
  report(w: CycleWindow, supplier: string | null, cells?: { keys: KeyCell[]; subs: SubscriptionCell[] }, restsOn?: RestsOn | null): SalesReport {
    const c = cells ?? { keys: this.store.keyCells(w), subs: this.store.subscriptionCells(w) };
    const cp = restsOn === undefined ? this.ctx.logStore.latestCheckpoint() : undefined;
    return {
      ...tabulate(w, c.keys, c.subs, this.catalog(), supplier),
      generatedAt: new Date().toISOString(),
      restsOn: restsOn !== undefined ? restsOn : cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null,
    };
  }

  /** A supplier's report narrowed to one of its items; another supplier's item (or none) is not found. */
  itemOf(report: SalesReport, item: string): SalesReport {
    const row = report.items.find((r) => r.item === item);
    if (!row) throw reportErrors.report_item_not_found();
    return { ...report, items: [row], partners: report.partners.map((p) => ({ ...p, items: p.items.filter((i) => i.item === item) })).filter((p) => p.items.length > 0), total: row.total };
  }

  cycles(supplier: string): CycleChoice & { chosen: boolean } {
    const c = this.store.choice(supplier);
    return c ? { ...c, chosen: true } : { supplier, ...DEFAULT_CYCLES, updatedAt: '', updatedBy: '', chosen: false };
  }

  setCycles(supplier: string, choice: Partial<Record<Cycle, unknown>>, by: string): CycleChoice {
    const pick = (c: Cycle) => choice[c] === true || choice[c] === 'on' || choice[c] === 'true' || choice[c] === '1';
    const c: CycleChoice = { supplier, daily: pick('daily'), weekly: pick('weekly'), monthly: pick('monthly'), updatedAt: new Date().toISOString(), updatedBy: by.slice(0, 100) };
    if (!c.daily && !c.weekly && !c.monthly) throw reportErrors.invalid_cycle_choice();
    this.store.setChoice(c);
    this.ctx.logger.info({ event: 'paid_report_cycles', supplier, daily: c.daily, weekly: c.weekly, monthly: c.monthly, by }, 'report cycles chosen');
    return c;
  }

  /**
   * The job: for every supplier with items, and every cycle it chose, the
   * last closed cycle's report is sent once (notice `sales_report`, dedupe key
   * per supplier and cycle), CLOSE_GRACE_MS after the cycle ends. The log is
   * flushed and a checkpoint signed first, so the report rests on a
   * checkpoint that covers every key and subscription of the cycle.
   */
  closeCycles(now = new Date()): { sent: { supplier: string; cycle: Cycle; period: string; noticeId: string }[] } {
    const catalog = this.catalog();
    const suppliers = new Set([...catalog.values()].map((i) => i.supplier));
    const parties = this.portal.list({ kind: 'supplier' }).filter((p) => p.status !== 'suspended' && suppliers.has(p.id));
    const sent: { supplier: string; cycle: Cycle; period: string; noticeId: string }[] = [];
    const cells = new Map<string, { keys: KeyCell[]; subs: SubscriptionCell[] }>();
    let restsOn: RestsOn | null | undefined;
    for (const party of parties) {
      const choice = this.cycles(party.id);
      for (const cycle of CYCLES) {
        if (!choice[cycle]) continue;
        const w = lastClosed(cycle, now);
        if (now.getTime() < w.to.getTime() + CLOSE_GRACE_MS) continue;
        if (this.store.sentNotice(party.id, cycle, w.period)) continue;
        if (restsOn === undefined) {
          this.ctx.log.flush();
          const cp = this.ctx.log.checkpoint();
          restsOn = cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null;
        }
        const key = `${cycle}:${w.period}`;
        let c = cells.get(key);
        if (!c) cells.set(key, (c = { keys: this.store.keyCells(w), subs: this.store.subscriptionCells(w) }));
        const report = this.report(w, party.id, c, restsOn);
        const noticeId = this.store.transaction(() => {
          const { notice } = this.notices.send({
            recipient: { party: party.id },
            kind: 'sales_report',
            subject: `Sales report, ${cycle} ${w.period}`,
            text: reportText(report, `${this.ctx.config.publicUrl.replace(/\/+$/, '')}/portal/sales/?cycle=${cycle}&period=${encodeURIComponent(w.period)}`),
            data: reportData(report),
            dedupeKey: `paid:sales-report:${party.id}:${cycle}:${w.period}`,
          });
          this.store.recordSent({
            supplier: party.id,
            cycle,
            period: w.period,
            noticeId: notice.id,
            checkpointSize: restsOn?.size ?? null,
            checkpointTime: restsOn?.time ?? null,
            sentAt: new Date().toISOString(),
          });
          return notice.id;
        });
        sent.push({ supplier: party.id, cycle, period: w.period, noticeId });
      }
    }
    if (sent.length) this.ctx.logger.info({ event: 'paid_reports_sent', reports: sent.length }, 'sales reports sent');
    return { sent };
  }
}

const fmtGrowth = (g: number | null) => (g === null ? 'n/a' : `${g > 0 ? '+' : ''}${g.toFixed(2)} %`);
const fmtSales = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([currency, amount]) => formatMoney({ amount, currency }))
    .join(', ') || '0';

/** The notice's text: one line per item, and where the whole report is. */
export function reportText(r: SalesReport, link: string): string {
  const lines = [`Your ${r.cycle} sales report for ${r.period}: ${daySpan(r.from, r.to)}.`, ''];
  for (const i of r.items) {
    lines.push(
      `${i.title} (${i.item}): ${i.total.accesses} accesses, ${i.total.registered} new, ${i.total.continuing} continuing, ${i.total.valid} valid, growth ${fmtGrowth(i.total.growth)}, rank ${i.rank} of ${r.rankedItems} (${i.categoryRank} of ${r.categorySizes[i.category] ?? 0} in ${i.category}), sales ${fmtSales(i.total.sales)}`,
    );
  }
  if (!r.items.length) lines.push('You have no items this cycle.');
  lines.push('', `Per partner, ten-day parts, CSV and JSON: ${link}`);
  if (r.restsOn) lines.push(`This report rests on the main site's log checkpoint of size ${r.restsOn.size} (root ${r.restsOn.root}, signed ${r.restsOn.time}).`);
  return lines.join('\n');
}

/** The notice's data (in the webhook body): the totals per item and per partner; the lines per item and partner are at the portal. */
export function reportData(r: SalesReport): Record<string, unknown> {
  return {
    cycle: r.cycle,
    period: r.period,
    from: r.from,
    to: r.to,
    restsOn: r.restsOn,
    items: r.items.map((i) => ({ item: i.item, title: i.title, category: i.category, rank: i.rank, categoryRank: i.categoryRank, total: i.total })),
    partners: r.partners.map((p) => ({ partner: p.partner, total: p.total })),
    total: r.total,
  };
}
