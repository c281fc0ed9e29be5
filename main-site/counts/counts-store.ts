import type { Db } from '../../common/store/sqlite.js';
import type { RuleAction, RuleMode } from '../../common/counts/index.js';

export interface Cursor {
  site: string;
  size: number;
  checkpointRoot: string;
  countedAt: string;
}

export interface CountedItem {
  key: string;
  title: string;
  supplier: string;
  pricePoints: number | null;
  updatedAt: string;
  updatedBy: string;
}

export interface Rule {
  id: number;
  item: string;
  mode: RuleMode;
  n: number;
  action: RuleAction;
  webhooks: string[];
  floor: number;
  createdAt: string;
  createdBy: string;
}

export interface FiredEvent {
  id: number;
  ruleId: number;
  threshold: number;
  item: string;
  supplier: string;
  action: RuleAction;
  firedAt: string;
  site: string;
  entryIndex: number;
  checkpointSize: number;
  checkpointRoot: string;
  bySite: Record<string, number>;
  detail: Record<string, unknown>;
  noticeId: string | null;
}

export interface SiteCount {
  item: string;
  site: string;
  count: number;
  lastIndex: number;
  checkpointSize: number;
}

export interface AgreementRow {
  party: string;
  version: number;
  terms: string;
  setAt: string;
  setBy: string;
}

type RuleRow = { id: number; item: string; mode: RuleMode; n: number; action: RuleAction; webhooks: string; floor: number; created_at: string; created_by: string };
const toRule = (r: RuleRow): Rule => ({
  id: r.id,
  item: r.item,
  mode: r.mode,
  n: r.n,
  action: r.action,
  webhooks: JSON.parse(r.webhooks) as string[],
  floor: r.floor,
  createdAt: r.created_at,
  createdBy: r.created_by,
});
type EventRow = {
  id: number;
  rule_id: number;
  threshold: number;
  item: string;
  supplier: string;
  action: RuleAction;
  fired_at: string;
  site: string;
  entry_index: number;
  checkpoint_size: number;
  checkpoint_root: string;
  by_site: string;
  detail: string;
  notice_id: string | null;
};
const toEvent = (r: EventRow): FiredEvent => ({
  id: r.id,
  ruleId: r.rule_id,
  threshold: r.threshold,
  item: r.item,
  supplier: r.supplier,
  action: r.action,
  firedAt: r.fired_at,
  site: r.site,
  entryIndex: r.entry_index,
  checkpointSize: r.checkpoint_size,
  checkpointRoot: r.checkpoint_root,
  bySite: JSON.parse(r.by_site) as Record<string, number>,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
  noticeId: r.notice_id,
});
type ItemRow = { key: string; title: string; supplier: string; price_points: number | null; updated_at: string; updated_by: string };
const toItem = (r: ItemRow): CountedItem => ({ key: r.key, title: r.title, supplier: r.supplier, pricePoints: r.price_points, updatedAt: r.updated_at, updatedBy: r.updated_by });

/** The counts capability's tables (migrations/001_counts.sql); SQL lives only here. */
export class CountsStore {
  private readonly q;

  constructor(readonly db: Db) {
    this.q = {
      cursor: db.prepare<[string], { site: string; size: number; checkpoint_root: string; counted_at: string }>('SELECT * FROM count_cursors WHERE site = ?'),
      cursors: db.prepare<[], { site: string; size: number; checkpoint_root: string; counted_at: string }>('SELECT * FROM count_cursors ORDER BY site'),
      setCursor: db.prepare(
        'INSERT INTO count_cursors (site, size, checkpoint_root, counted_at) VALUES (?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET size = excluded.size, checkpoint_root = excluded.checkpoint_root, counted_at = excluded.counted_at',
      ),
      total: db.prepare<[string], { count: number; statement_count: number }>('SELECT count, statement_count FROM count_totals WHERE item = ?'),
      addTotal: db.prepare<[string, number], { count: number }>('INSERT INTO count_totals (item, count) VALUES (?, ?) ON CONFLICT (item) DO UPDATE SET count = count + excluded.count RETURNING count'),
      setStatementCount: db.prepare('UPDATE count_totals SET statement_count = ? WHERE item = ?'),
      addSite: db.prepare(
        `INSERT INTO count_by_site (item, site, count, last_index, checkpoint_size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (item, site) DO UPDATE SET count = count + excluded.count, last_index = excluded.last_index, checkpoint_size = excluded.checkpoint_size`,
      ),
      bySite: db.prepare<[string], { item: string; site: string; count: number; last_index: number; checkpoint_size: number }>('SELECT * FROM count_by_site WHERE item = ? ORDER BY site'),
      allBySite: db.prepare<[], { item: string; site: string; count: number; last_index: number; checkpoint_size: number }>('SELECT * FROM count_by_site ORDER BY item, site'),
      totals: db.prepare<[], { item: string; count: number; statement_count: number }>('SELECT * FROM count_totals ORDER BY item'),
      item: db.prepare<[string], ItemRow>('SELECT * FROM count_items WHERE key = ?'),
      items: db.prepare<[], ItemRow>('SELECT * FROM count_items ORDER BY key'),
      itemsOf: db.prepare<[string], ItemRow>('SELECT * FROM count_items WHERE supplier = ? ORDER BY key'),
      putItem: db.prepare(
        `INSERT INTO count_items (key, title, supplier, price_points, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET title = excluded.title, supplier = excluded.supplier, price_points = excluded.price_points, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      rules: db.prepare<[], RuleRow>('SELECT * FROM count_rules WHERE removed_at IS NULL ORDER BY id'),
      rule: db.prepare<[number], RuleRow>('SELECT * FROM count_rules WHERE id = ? AND removed_at IS NULL'),
      ruleEvenRemoved: db.prepare<[number], RuleRow>('SELECT * FROM count_rules WHERE id = ?'),
      unsent: db.prepare<[number], EventRow>('SELECT * FROM count_events WHERE notices_sent = 0 ORDER BY id LIMIT ?'),
      markSent: db.prepare('UPDATE count_events SET notices_sent = 1, notice_id = ? WHERE id = ?'),
      addRule: db.prepare('INSERT INTO count_rules (item, mode, n, action, webhooks, floor, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      removeRule: db.prepare('UPDATE count_rules SET removed_at = ? WHERE id = ? AND removed_at IS NULL'),
      addEvent: db.prepare(
        `INSERT OR IGNORE INTO count_events (rule_id, threshold, item, supplier, action, fired_at, site, entry_index, checkpoint_size, checkpoint_root, by_site, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      events: db.prepare<[string, string, string, string, number], EventRow>("SELECT * FROM count_events WHERE (? = '' OR item = ?) AND (? = '' OR supplier = ?) ORDER BY id DESC LIMIT ?"),
      agreement: db.prepare<[string], AgreementRow & { set_at: string; set_by: string }>('SELECT * FROM count_agreements WHERE party = ? ORDER BY version DESC LIMIT 1'),
      addAgreement: db.prepare('INSERT INTO count_agreements (party, version, terms, set_at, set_by) SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ? FROM count_agreements WHERE party = ?'),
    };
  }

  cursor(site: string): Cursor | undefined {
    const r = this.q.cursor.get(site);
    return r ? { site: r.site, size: r.size, checkpointRoot: r.checkpoint_root, countedAt: r.counted_at } : undefined;
  }

  cursors(): Cursor[] {
    return this.q.cursors.all().map((r) => ({ site: r.site, size: r.size, checkpointRoot: r.checkpoint_root, countedAt: r.counted_at }));
  }

  setCursor(site: string, size: number, root: string): void {
    this.q.setCursor.run(site, size, root, new Date().toISOString());
  }

  total(item: string): { count: number; statementCount: number } {
    const r = this.q.total.get(item);
    return { count: r?.count ?? 0, statementCount: r?.statement_count ?? 0 };
  }

  /** Adds deliveries of an item on a site; returns the item's new total. */
  addCount(item: string, site: string, delta: number, lastIndex: number, checkpointSize: number): number {
    const total = this.q.addTotal.get(item, delta)!.count;
    this.q.addSite.run(item, site, delta, lastIndex, checkpointSize);
    return total;
  }

  setStatementCount(item: string, count: number): void {
    this.q.setStatementCount.run(count, item);
  }

  bySite(item: string): SiteCount[] {
    return this.q.bySite.all(item).map((r) => ({ item: r.item, site: r.site, count: r.count, lastIndex: r.last_index, checkpointSize: r.checkpoint_size }));
  }

  allBySite(): SiteCount[] {
    return this.q.allBySite.all().map((r) => ({ item: r.item, site: r.site, count: r.count, lastIndex: r.last_index, checkpointSize: r.checkpoint_size }));
  }

  totals(): { item: string; count: number; statementCount: number }[] {
    return this.q.totals.all().map((r) => ({ item: r.item, count: r.count, statementCount: r.statement_count }));
  }

  item(key: string): CountedItem | undefined {
    const r = this.q.item.get(key);
    return r ? toItem(r) : undefined;
  }

  items(supplier?: string): CountedItem[] {
    return (supplier === undefined ? this.q.items.all() : this.q.itemsOf.all(supplier)).map(toItem);
  }

  putItem(i: { key: string; title: string; supplier: string; pricePoints: number | null }, by: string): void {
    this.q.putItem.run(i.key, i.title, i.supplier, i.pricePoints, new Date().toISOString(), by);
  }

  rules(): Rule[] {
    return this.q.rules.all().map(toRule);
  }

  rule(id: number): Rule | undefined {
    const r = this.q.rule.get(id);
    return r ? toRule(r) : undefined;
  }

  addRule(r: { item: string; mode: RuleMode; n: number; action: RuleAction; webhooks: string[]; floor: number }, by: string): number {
    return Number(this.q.addRule.run(r.item, r.mode, r.n, r.action, JSON.stringify(r.webhooks), r.floor, new Date().toISOString(), by).lastInsertRowid);
  }

  removeRule(id: number): boolean {
    return this.q.removeRule.run(new Date().toISOString(), id).changes === 1;
  }

  /** Records a firing; undefined when this rule already fired at this threshold (nothing is written). */
  addEvent(e: Omit<FiredEvent, 'id' | 'noticeId'>): number | undefined {
    const r = this.q.addEvent.run(
      e.ruleId,
      e.threshold,
      e.item,
      e.supplier,
      e.action,
      e.firedAt,
      e.site,
      e.entryIndex,
      e.checkpointSize,
      e.checkpointRoot,
      JSON.stringify(e.bySite),
      JSON.stringify(e.detail),
    );
    return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
  }

  /** Events whose notices are not yet in the outbox, oldest first. */
  unsent(limit: number): FiredEvent[] {
    return this.q.unsent.all(limit).map(toEvent);
  }

  markSent(eventId: number, noticeId: string | null): void {
    this.q.markSent.run(noticeId, eventId);
  }

  /** A rule, also one removed since (its fired events still need their notices). */
  ruleEvenRemoved(id: number): Rule | undefined {
    const r = this.q.ruleEvenRemoved.get(id);
    return r ? toRule(r) : undefined;
  }

  events(f: { item?: string; supplier?: string; limit?: number } = {}): FiredEvent[] {
    return this.q.events.all(f.item ?? '', f.item ?? '', f.supplier ?? '', f.supplier ?? '', f.limit ?? 500).map(toEvent);
  }

  agreement(party: string): AgreementRow | undefined {
    const r = this.q.agreement.get(party);
    return r ? { party: r.party, version: r.version, terms: r.terms, setAt: r.set_at, setBy: r.set_by } : undefined;
  }

  addAgreement(party: string, terms: string, by: string): void {
    this.q.addAgreement.run(party, terms, new Date().toISOString(), by, party);
  }
}
