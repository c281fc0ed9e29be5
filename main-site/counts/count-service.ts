import { decodeEntry, type EntryFields } from '../../common/logchain/entry.js';
import type { SiteContext } from '../../common/site/context.js';
import { formatMoney } from '../../common/money.js';
import {
  BUILT_IN_ITEM_TYPES,
  crossings,
  itemInput,
  ruleInput,
  STATEMENT_ROUNDING,
  statementAmount,
  supplierAgreement,
  type ItemKeyOf,
  type RuleAction,
  type SupplierAgreement,
} from '../../common/counts/index.js';
import type { MainLogs } from '../logs/index.js';
import type { NoticeService } from '../notices/index.js';
import type { PortalService } from '../portal/index.js';
import { countsErrors } from './errors.js';
import type { CountedItem, CountsStore, FiredEvent, Rule } from './counts-store.js';

/** Entries read from a store per transaction when catching up (a shipment is at most 5,000). */
const CATCH_UP_CHUNK = 5000;

/** The checkpoint a counted range rests on: every entry counted is below its size. */
export interface RestingOn {
  size: number;
  root: string;
}

const NOTICE_KIND: Record<Exclude<RuleAction, 'webhooks_only'>, string> = {
  status_report: 'count_status_report',
  new_content: 'count_new_content_request',
  revenue_statement: 'count_revenue_statement',
};
const ACTION_LABEL: Record<RuleAction, string> = {
  status_report: 'Status report',
  new_content: 'Request for new content',
  revenue_statement: 'Revenue-share statement',
  webhooks_only: 'Webhook',
};

const zodMessage = (e: { issues: { path: PropertyKey[]; message: string }[] }): string => e.issues.map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; ');

/**
 * Delivery counts and the events they fire (seed 004; docs/counts.md). Counts
 * come only from verified log entries the main site holds under a signed
 * checkpoint: partners' shipments once the witness accepts them, and the main
 * site's own log up to its latest checkpoint. Each site's log is counted as a
 * prefix (a cursor per site), so an entry, named by (site, log index), is
 * counted once however often it is shipped or read. A range's counts, the
 * thresholds it crosses (their fired-event rows) and the cursor's advance are
 * one transaction: after a crash either all of it happened or none did, and
 * counting resumes at the cursor. The events' notices go into the outbox
 * just after, with dedupe keys (dispatch).
 */
export class CountService {
  private readonly types = new Map<string, ItemKeyOf>(BUILT_IN_ITEM_TYPES);
  private rulesByItem = new Map<string, Rule[]>();
  private items = new Map<string, CountedItem>();
  private timer: NodeJS.Timeout | undefined;
  private dispatchScheduled = false;
  private closed = false;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: CountsStore,
    private readonly logs: MainLogs,
    private readonly notices: NoticeService,
    private readonly portal: PortalService,
  ) {
    this.reload();
    logs.onWitnessed((site, shipment) => {
      this.ingest(
        site,
        shipment.from,
        shipment.entries.map((e) => e.fields),
        { size: shipment.size, root: shipment.root.toString('hex') },
      );
    });
  }

  /**
   * Extension point: counts deliveries of another capability's entry type.
   * `itemOf` names the item an entry delivered (`ad:<id>`), or null for an
   * entry that delivered nothing countable. One counter per type.
   */
  countEntryType(type: string, itemOf: ItemKeyOf): void {
    if (this.types.has(type)) throw countsErrors.type_taken(`entries of type "${type}" are already counted`);
    this.types.set(type, itemOf);
  }

  private reload(): void {
    this.items = new Map(this.store.items().map((i) => [i.key, i]));
    const byItem = new Map<string, Rule[]>();
    for (const r of this.store.rules()) {
      const list = byItem.get(r.item) ?? [];
      list.push(r);
      byItem.set(r.item, list);
    }
    this.rulesByItem = byItem;
  }

  // ---- counting ----

  /**
   * Counts entries [from, from + entries.length) of `site`'s verified log,
   * all covered by the signed checkpoint `cp`. Entries already counted are
   * skipped (a re-shipment or replay counts nothing); a range that starts
   * beyond the cursor is read from the stores instead (catchUp).
   */
  ingest(site: string, from: number, entries: readonly EntryFields[], cp: RestingOn): FiredEvent[] {
    const cursor = this.store.cursor(site)?.size ?? 0;
    if (from > cursor) return this.catchUp(site);
    const skip = cursor - from;
    if (skip >= entries.length) return [];
    return this.store.db.transaction(() => this.countRange(site, from, entries, skip, cp))();
  }

  private countRange(site: string, from: number, entries: readonly EntryFields[], skip: number, cp: RestingOn): FiredEvent[] {
    const agg = new Map<string, { delta: number; last: number }>();
    const types = this.types;
    // Each entry's item, kept for finding which entry reached a threshold without deciding it again.
    const keys: (string | null)[] = new Array<string | null>(entries.length).fill(null);
    for (let i = skip; i < entries.length; i++) {
      const e = entries[i]!;
      const itemOf = types.get(e.type);
      if (itemOf === undefined) continue;
      const key = itemOf(e);
      if (key === null) continue;
      keys[i] = key;
      const a = agg.get(key);
      if (a === undefined) agg.set(key, { delta: 1, last: from + i });
      else {
        a.delta++;
        a.last = from + i;
      }
    }
    type Due = { rule: Rule; threshold: number; before: number; item: string };
    const due: Due[] = [];
    for (const [item, a] of agg) {
      const after = this.store.addCount(item, site, a.delta, a.last, cp.size);
      const rules = this.rulesByItem.get(item);
      if (rules === undefined) continue;
      const before = after - a.delta;
      for (const rule of rules) for (const t of crossings(rule.mode, rule.n, rule.floor, before, after)) due.push({ rule, threshold: t, before, item });
    }
    this.store.setCursor(site, from + entries.length, cp.root);
    if (!due.length) return [];
    // Which entry reached each threshold: the (threshold - before)-th delivery of the item in this range.
    const wanted = new Map<string, Map<number, number>>();
    for (const d of due) {
      const m = wanted.get(d.item) ?? new Map<number, number>();
      m.set(d.threshold - d.before, -1);
      wanted.set(d.item, m);
    }
    const seen = new Map<string, number>();
    for (let i = skip; i < entries.length; i++) {
      const key = keys[i]!;
      if (key === null || !wanted.has(key)) continue;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const m = wanted.get(key)!;
      if (m.has(n)) m.set(n, from + i);
    }
    const at = (d: Due) => wanted.get(d.item)!.get(d.threshold - d.before)!;
    // In log order; at one entry, lower thresholds first, then rule order.
    due.sort((x, y) => at(x) - at(y) || x.threshold - y.threshold || x.rule.id - y.rule.id);
    const fired: FiredEvent[] = [];
    for (const d of due) {
      const ev = this.fire(d.rule, d.threshold, site, at(d), cp);
      if (ev) fired.push(ev);
    }
    return fired;
  }

  /** Records one crossed threshold (its notices follow, see dispatch); nothing when it already fired. Inside countRange's transaction. */
  private fire(rule: Rule, threshold: number, site: string, entryIndex: number, cp: RestingOn): FiredEvent | undefined {
    const item = this.items.get(rule.item)!;
    const bySite: Record<string, number> = {};
    for (const s of this.store.bySite(rule.item)) bySite[s.site] = s.count;
    // The batch is one site's: at the threshold that site had counted (threshold - before) of this range.
    const afterAll = Object.values(bySite).reduce((x, y) => x + y, 0);
    bySite[site] = (bySite[site] ?? 0) - (afterAll - threshold);
    const detail: Record<string, unknown> = { count: threshold };
    if (rule.action === 'revenue_statement') Object.assign(detail, this.statement(item, threshold));
    const firedAt = new Date().toISOString();
    const base = {
      ruleId: rule.id,
      threshold,
      item: rule.item,
      supplier: item.supplier,
      action: rule.action,
      firedAt,
      site,
      entryIndex,
      checkpointSize: cp.size,
      checkpointRoot: cp.root,
      bySite,
      detail,
    };
    const id = this.store.addEvent(base);
    if (id === undefined) return undefined;
    this.scheduleDispatch();
    return { ...base, id, noticeId: null };
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      if (this.closed) return;
      try {
        this.dispatch();
      } catch (err) {
        this.ctx.logger.error({ event: 'counts_dispatch_failed', err }, 'count event notices could not be put in the outbox; will retry');
      }
    });
  }

  /**
   * Puts fired events' notices in the outbox: to the item's supplier (unless
   * the rule only has webhooks) and to each of the rule's webhooks. The event
   * row was written with the count that crossed its threshold; its notices
   * follow after that transaction, each with a dedupe key of (rule,
   * threshold, recipient), so a crash in between sends them at the next
   * start and never twice. Returns how many events it handled.
   */
  dispatch(): number {
    let handled = 0;
    for (;;) {
      const batch = this.store.unsent(200);
      if (!batch.length) return handled;
      for (const e of batch) {
        this.store.db.transaction(() => this.sendNotices(e))();
        handled++;
      }
    }
  }

  private sendNotices(e: FiredEvent): void {
    const item = this.items.get(e.item) ?? this.store.item(e.item);
    const rule = this.store.ruleEvenRemoved(e.ruleId);
    if (!item || !rule) {
      this.store.markSent(e.id, null);
      return;
    }
    const text = this.noticeText(item, rule, e.threshold, e.bySite, e.detail);
    const subject = `${ACTION_LABEL[rule.action]}: ${item.title} reached ${e.threshold.toLocaleString('en')} deliveries`;
    const data = {
      item: item.key,
      title: item.title,
      rule: rule.id,
      mode: rule.mode,
      n: rule.n,
      action: rule.action,
      threshold: e.threshold,
      bySite: e.bySite,
      detail: e.detail,
      restsOn: { site: e.site, entryIndex: e.entryIndex, checkpointSize: e.checkpointSize, checkpointRoot: e.checkpointRoot },
    };
    let noticeId: string | null = null;
    if (rule.action !== 'webhooks_only') {
      noticeId = this.sendSafely({ recipient: { party: e.supplier }, kind: NOTICE_KIND[rule.action], subject, text, data, dedupeKey: `counts:${rule.id}:${e.threshold}` });
    }
    rule.webhooks.forEach((url, i) => {
      this.sendSafely({ recipient: { webhookUrl: url, name: `rule ${rule.id} webhook` }, kind: 'count_event', subject, text, data, dedupeKey: `counts:${rule.id}:${e.threshold}:webhook:${i}` });
    });
    this.store.markSent(e.id, noticeId);
  }

  /** A notice that cannot be stored (its party was removed) must not stop counting: the event row says so. */
  private sendSafely(n: Parameters<NoticeService['send']>[0]): string | null {
    try {
      return this.notices.send(n).notice.id;
    } catch (err) {
      this.ctx.logger.error({ event: 'counts_notice_refused', dedupeKey: n.dedupeKey, err }, 'a count event notice could not be stored');
      return null;
    }
  }

  private statement(item: CountedItem, threshold: number): Record<string, unknown> {
    const since = this.store.total(item.key).statementCount;
    const deliveries = threshold - since;
    this.store.setStatementCount(item.key, threshold);
    const a = this.agreement(item.supplier);
    if (!a || item.pricePoints === null) return { since, deliveries, amount: null, problem: !a ? 'no revenue-share agreement' : 'no price in points' };
    return {
      since,
      deliveries,
      pricePoints: item.pricePoints,
      pointValue: a.terms.pointValue,
      rateBps: a.terms.rateBps,
      currency: a.terms.currency,
      agreementVersion: a.version,
      amount: statementAmount(deliveries, item.pricePoints, a.terms),
      rounding: STATEMENT_ROUNDING,
    };
  }

  private noticeText(item: CountedItem, rule: Rule, threshold: number, bySite: Record<string, number>, detail: Record<string, unknown>): string {
    const sites = Object.entries(bySite)
      .map(([s, c]) => `  ${s}: ${c.toLocaleString('en')}`)
      .join('\n');
    const head = `${item.title} (${item.key}) has been delivered ${threshold.toLocaleString('en')} times on all sites.`;
    switch (rule.action) {
      case 'status_report':
        return `${head}\n\nBy site:\n${sites}\n`;
      case 'new_content':
        return `${head}\n\nThis content is being used up: please consider supplying new content.\n`;
      case 'revenue_statement': {
        if (detail.amount === null)
          return `${head}\n\nA revenue-share statement is due for ${String(detail.deliveries)} deliveries, but it cannot be computed: ${String(detail.problem)}. The operator will follow up.\n`;
        return (
          `${head}\n\nRevenue-share statement for the ${Number(detail.deliveries).toLocaleString('en')} deliveries since the previous statement (count ${String(detail.since)} to ${threshold}):\n` +
          `  ${String(detail.deliveries)} deliveries x ${String(detail.pricePoints)} points x ${formatMoney({ amount: Number(detail.pointValue), currency: String(detail.currency) })} per point x ${Number(detail.rateBps) / 100} % = ${formatMoney({ amount: Number(detail.amount), currency: String(detail.currency) })}\n` +
          `  (agreement version ${String(detail.agreementVersion)}; ${STATEMENT_ROUNDING})\n`
        );
      }
      default:
        return `${head}\n\nRule ${rule.id} (${rule.mode} ${rule.n}) fired.\nBy site:\n${sites}\n`;
    }
  }

  /**
   * Counts what the stores hold beyond each cursor, up to the latest signed
   * checkpoint: the main site's own log, and every partner's witnessed log.
   * Runs at start (a crash between a shipment's acceptance and its count),
   * on a timer for the own log, and on demand.
   */
  catchUp(only?: string): FiredEvent[] {
    const fired: FiredEvent[] = [];
    const self = this.ctx.config.siteId;
    const sites =
      only !== undefined
        ? [only]
        : [
            self,
            ...this.ctx.peers
              .list()
              .filter((p) => p.role === 'partner')
              .map((p) => p.id),
          ];
    for (const site of sites) {
      const cp = site === self ? this.ctx.logStore.latestCheckpoint() : this.logs.witness.store.latestCheckpoint(site);
      if (!cp) continue;
      const root = cp.root.toString('hex');
      for (;;) {
        const cursor = this.store.cursor(site)?.size ?? 0;
        if (cursor >= cp.size) break;
        const end = Math.min(cp.size, cursor + CATCH_UP_CHUNK);
        const lines = site === self ? this.ctx.logStore.lines(cursor, end) : this.logs.witness.store.entries(site, cursor, end).map((e) => e.line);
        if (lines.length !== end - cursor) throw new Error(`the log of ${site} has ${lines.length} stored entries in [${cursor}, ${end})`);
        // Stored entries were verified when written; one that no longer decodes delivered nothing countable.
        const fields = lines.map((l) => decodeEntry(l) ?? ({ type: '' } as EntryFields));
        fired.push(...this.store.db.transaction(() => this.countRange(site, cursor, fields, 0, { size: cp.size, root }))());
      }
    }
    return fired;
  }

  start(): void {
    try {
      this.catchUp();
      this.dispatch();
    } catch (err) {
      this.ctx.logger.error({ event: 'counts_catch_up_failed', err }, 'counting the stored logs failed; will retry');
    }
    this.timer = setInterval(() => {
      try {
        this.catchUp(this.ctx.config.siteId);
      } catch (err) {
        this.ctx.logger.error({ event: 'counts_catch_up_failed', err }, 'counting the own log failed; will retry');
      }
    }, this.ctx.config.countsPollMs);
    this.timer.unref();
  }

  /** Before the outbox closes (counts is listed after notices): the last events' notices go in now rather than at the next start. */
  close(): void {
    clearInterval(this.timer);
    try {
      this.dispatch();
    } catch (err) {
      this.ctx.logger.error({ event: 'counts_dispatch_failed', err }, 'count event notices wait for the next start');
    }
    this.closed = true;
  }

  // ---- items, rules, agreements ----

  item(key: string): CountedItem | undefined {
    return this.items.get(key);
  }

  putItem(raw: unknown, by: string): CountedItem {
    const p = itemInput.safeParse(raw);
    if (!p.success) throw countsErrors.invalid_item(zodMessage(p.error));
    const party = this.portal.get(p.data.supplier);
    if (!party) throw countsErrors.party_not_found(`no party "${p.data.supplier}" at the portal`);
    if (party.kind !== 'supplier' && party.kind !== 'advertiser') throw countsErrors.owner_not_a_supplier(`party ${party.id} is a ${party.kind}`);
    const had = this.items.get(p.data.key);
    if (p.data.pricePoints === null && had && this.rulesOf(had.key).some((r) => r.action === 'revenue_statement')) {
      throw countsErrors.statement_needs_price('this item has revenue-share statement rules; remove them before removing its price');
    }
    this.store.putItem(p.data, by);
    const saved = this.store.item(p.data.key)!;
    this.items.set(saved.key, saved);
    return saved;
  }

  rulesOf(item?: string): Rule[] {
    return item === undefined ? this.store.rules() : (this.rulesByItem.get(item) ?? []);
  }

  addRule(raw: unknown, by: string): Rule {
    const p = ruleInput.safeParse(raw);
    if (!p.success) throw countsErrors.invalid_rule(zodMessage(p.error));
    const r = p.data;
    const item = this.items.get(r.item);
    if (!item) throw countsErrors.item_not_found(`no counted item "${r.item}"; register it first`);
    if (r.action === 'webhooks_only' && r.webhooks.length === 0) throw countsErrors.invalid_rule('a webhooks-only rule needs at least one webhook');
    if (r.action === 'revenue_statement') {
      if (item.pricePoints === null) throw countsErrors.statement_needs_price(`set the price in points of ${item.key} first`);
      if (!this.agreement(item.supplier)) throw countsErrors.statement_needs_agreement(`set the revenue-share agreement of ${item.supplier} first`);
    }
    const id = this.store.db.transaction(() => this.store.addRule({ ...r, floor: this.store.total(r.item).count }, by))();
    const rule = this.store.rule(id)!;
    this.rulesByItem.set(rule.item, [...(this.rulesByItem.get(rule.item) ?? []), rule]);
    return rule;
  }

  removeRule(id: number): void {
    if (!this.store.removeRule(id)) throw countsErrors.rule_not_found(`no rule ${id}`);
    this.reload();
  }

  agreement(party: string): { version: number; terms: SupplierAgreement; setAt: string; setBy: string } | undefined {
    const r = this.store.agreement(party);
    return r ? { version: r.version, terms: supplierAgreement.parse(JSON.parse(r.terms)), setAt: r.setAt, setBy: r.setBy } : undefined;
  }

  setAgreement(party: string, raw: unknown, by: string): { version: number; terms: SupplierAgreement } {
    const p = this.portal.get(party);
    if (!p) throw countsErrors.party_not_found(`no party "${party}" at the portal`);
    const parsed = supplierAgreement.safeParse(raw);
    if (!parsed.success) throw countsErrors.invalid_agreement(zodMessage(parsed.error));
    this.store.addAgreement(party, JSON.stringify(parsed.data), by);
    return this.agreement(party)!;
  }

  /** Every item's count, by site, with the checkpoint each site's count rests on. */
  overview(supplier?: string) {
    const totals = new Map(this.store.totals().map((t) => [t.item, t]));
    const bySite = new Map<string, { site: string; count: number; lastIndex: number; checkpointSize: number }[]>();
    for (const s of this.store.allBySite()) {
      const l = bySite.get(s.item) ?? [];
      l.push({ site: s.site, count: s.count, lastIndex: s.lastIndex, checkpointSize: s.checkpointSize });
      bySite.set(s.item, l);
    }
    const keys = supplier === undefined ? new Set([...this.items.keys(), ...totals.keys()]) : new Set(this.store.items(supplier).map((i) => i.key));
    return [...keys].sort().map((key) => ({
      key,
      item: this.items.get(key) ?? null,
      count: totals.get(key)?.count ?? 0,
      bySite: bySite.get(key) ?? [],
      rules: this.rulesOf(key),
    }));
  }

  cursors() {
    return this.store.cursors();
  }
}
