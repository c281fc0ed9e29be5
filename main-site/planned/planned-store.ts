import type { Db } from '../../common/store/sqlite.js';
import { pageSpec, type PageSpec } from '../../common/planned/index.js';

export type ApplicationStatus = 'pending' | 'approved' | 'rejected';
export interface Application {
  id: string;
  email: string;
  displayName: string;
  slug: string;
  pitch: string;
  status: ApplicationStatus;
  reason: string | null;
  partyId: string | null;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}

export type CarriedBy = 'all' | 'none' | string[];
export interface Planner {
  partyId: string;
  slug: string;
  displayName: string;
  carriedBy: CarriedBy;
  createdAt: string;
}

export type PageState = 'draft' | 'open' | 'closed';
export interface PlannedPage {
  id: string;
  planner: string;
  state: PageState;
  spec: PageSpec;
  createdAt: string;
  updatedAt: string;
  openedAt: string | null;
}

export type ContributionState = 'pending' | 'accepted' | 'rejected';
export interface Contribution {
  id: string;
  pageId: string;
  contributor: string;
  section: string;
  kind: 'text' | 'image' | 'file';
  title: string;
  teaser: string;
  body: string;
  file: { name: string; mediaType: string; inline: boolean; size: number; sha256: string } | null;
  state: ContributionState;
  reason: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface Membership {
  pageId: string;
  contributor: string;
  invitedBy: string | null;
  terms: unknown;
  acceptedAt: string | null;
}

export interface Order {
  id: string;
  site: string;
  idempotencyKey: string;
  requestHash: string;
  userId: string;
  pageId: string;
  planner: string;
  itemKind: 'page' | 'contribution';
  contributionId: string | null;
  delivers: string[];
  amount: number;
  currency: string;
  state: 'paid' | 'refunded';
  createdAt: string;
  refundedAt: string | null;
}

type Row = Record<string, unknown>;
const s = (v: unknown): string => v as string;
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

const toApplication = (r: Row): Application => ({
  id: s(r.id),
  email: s(r.email),
  displayName: s(r.display_name),
  slug: s(r.slug),
  pitch: s(r.pitch),
  status: s(r.status) as ApplicationStatus,
  reason: sn(r.reason),
  partyId: sn(r.party_id),
  createdAt: s(r.created_at),
  decidedAt: sn(r.decided_at),
  decidedBy: sn(r.decided_by),
});
const toPlanner = (r: Row): Planner => ({ partyId: s(r.party_id), slug: s(r.slug), displayName: s(r.display_name), carriedBy: JSON.parse(s(r.carried_by)) as CarriedBy, createdAt: s(r.created_at) });
// The spec was checked when written; parsing again on read keeps a hand-edited row from reaching a page unchecked.
const toPage = (r: Row): PlannedPage => ({
  id: s(r.id),
  planner: s(r.planner),
  state: s(r.state) as PageState,
  spec: pageSpec.parse(JSON.parse(s(r.spec))),
  createdAt: s(r.created_at),
  updatedAt: s(r.updated_at),
  openedAt: sn(r.opened_at),
});
const toContribution = (r: Row): Contribution => ({
  id: s(r.id),
  pageId: s(r.page_id),
  contributor: s(r.contributor),
  section: s(r.section),
  kind: s(r.kind) as Contribution['kind'],
  title: s(r.title),
  teaser: s(r.teaser),
  body: s(r.body),
  file: r.file_name ? { name: s(r.file_name), mediaType: s(r.file_type), inline: r.file_inline === 1, size: r.file_size as number, sha256: s(r.file_sha256) } : null,
  state: s(r.state) as ContributionState,
  reason: sn(r.reason),
  createdAt: s(r.created_at),
  decidedAt: sn(r.decided_at),
});
const toMembership = (r: Row): Membership => ({
  pageId: s(r.page_id),
  contributor: s(r.contributor),
  invitedBy: sn(r.invited_by),
  terms: r.terms ? (JSON.parse(s(r.terms)) as unknown) : null,
  acceptedAt: sn(r.accepted_at),
});
const toOrder = (r: Row): Order => ({
  id: s(r.id),
  site: s(r.site),
  idempotencyKey: s(r.idempotency_key),
  requestHash: s(r.request_hash),
  userId: s(r.user_id),
  pageId: s(r.page_id),
  planner: s(r.planner),
  itemKind: s(r.item_kind) as Order['itemKind'],
  contributionId: sn(r.contribution_id),
  delivers: JSON.parse(s(r.delivers)) as string[],
  amount: r.amount as number,
  currency: s(r.currency),
  state: s(r.state) as Order['state'],
  createdAt: s(r.created_at),
  refundedAt: sn(r.refunded_at),
});

/** Planned pages' tables at the main site; SQL lives only here. */
export class PlannedStore {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // Applications and planners
  addApplication(a: Application): void {
    this.db
      .prepare('INSERT INTO planned_applications (id, email, display_name, slug, pitch, status, reason, party_id, created_at, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.id, a.email, a.displayName, a.slug, a.pitch, a.status, a.reason, a.partyId, a.createdAt, a.decidedAt, a.decidedBy);
  }
  application(id: string): Application | undefined {
    const r = this.db.prepare('SELECT * FROM planned_applications WHERE id = ?').get(id) as Row | undefined;
    return r ? toApplication(r) : undefined;
  }
  applications(status?: ApplicationStatus): Application[] {
    const rows = status
      ? (this.db.prepare('SELECT * FROM planned_applications WHERE status = ? ORDER BY created_at DESC').all(status) as Row[])
      : (this.db.prepare('SELECT * FROM planned_applications ORDER BY created_at DESC LIMIT 500').all() as Row[]);
    return rows.map(toApplication);
  }
  pendingApplicationFor(email: string): Application | undefined {
    const r = this.db.prepare("SELECT * FROM planned_applications WHERE lower(email) = lower(?) AND status = 'pending'").get(email) as Row | undefined;
    return r ? toApplication(r) : undefined;
  }
  slugTaken(slug: string): boolean {
    return !!this.db.prepare("SELECT 1 FROM planned_planners WHERE slug = ? UNION SELECT 1 FROM planned_applications WHERE slug = ? AND status = 'pending'").get(slug, slug);
  }
  decideApplication(id: string, status: 'approved' | 'rejected', reason: string | null, partyId: string | null, by: string, at: string): void {
    this.db.prepare('UPDATE planned_applications SET status = ?, reason = ?, party_id = ?, decided_at = ?, decided_by = ? WHERE id = ?').run(status, reason, partyId, at, by, id);
  }
  addPlanner(p: Planner): void {
    this.db
      .prepare('INSERT INTO planned_planners (party_id, slug, display_name, carried_by, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(p.partyId, p.slug, p.displayName, JSON.stringify(p.carriedBy), p.createdAt);
  }
  planner(partyId: string): Planner | undefined {
    const r = this.db.prepare('SELECT * FROM planned_planners WHERE party_id = ?').get(partyId) as Row | undefined;
    return r ? toPlanner(r) : undefined;
  }
  plannerBySlug(slug: string): Planner | undefined {
    const r = this.db.prepare('SELECT * FROM planned_planners WHERE slug = ?').get(slug) as Row | undefined;
    return r ? toPlanner(r) : undefined;
  }
  planners(): Planner[] {
    return (this.db.prepare('SELECT * FROM planned_planners ORDER BY display_name').all() as Row[]).map(toPlanner);
  }
  setCarriedBy(partyId: string, carriedBy: CarriedBy): void {
    this.db.prepare('UPDATE planned_planners SET carried_by = ? WHERE party_id = ?').run(JSON.stringify(carriedBy), partyId);
  }

  // Pages
  addPage(p: PlannedPage): void {
    this.db
      .prepare('INSERT INTO planned_pages (id, planner, state, spec, created_at, updated_at, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.id, p.planner, p.state, JSON.stringify(p.spec), p.createdAt, p.updatedAt, p.openedAt);
  }
  updateSpec(id: string, spec: PageSpec, at: string): void {
    this.db.prepare('UPDATE planned_pages SET spec = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(spec), at, id);
  }
  setPageState(id: string, state: PageState, at: string): void {
    this.db
      .prepare(`UPDATE planned_pages SET state = ?, updated_at = ?${state === 'open' ? ', opened_at = coalesce(opened_at, ?)' : ''} WHERE id = ?`)
      .run(...(state === 'open' ? [state, at, at, id] : [state, at, id]));
  }
  page(id: string): PlannedPage | undefined {
    const r = this.db.prepare('SELECT * FROM planned_pages WHERE id = ?').get(id) as Row | undefined;
    return r ? toPage(r) : undefined;
  }
  pagesOf(planner: string): PlannedPage[] {
    return (this.db.prepare('SELECT * FROM planned_pages WHERE planner = ? ORDER BY created_at DESC').all(planner) as Row[]).map(toPage);
  }
  pages(state?: PageState): PlannedPage[] {
    const rows = state ? this.db.prepare('SELECT * FROM planned_pages WHERE state = ? ORDER BY created_at').all(state) : this.db.prepare('SELECT * FROM planned_pages ORDER BY created_at').all();
    return (rows as Row[]).map(toPage);
  }

  // Contributors of pages
  addMember(m: Membership): void {
    this.db
      .prepare('INSERT INTO planned_page_contributors (page_id, contributor, invited_by, terms, accepted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (page_id, contributor) DO NOTHING')
      .run(m.pageId, m.contributor, m.invitedBy, m.terms === null ? null : JSON.stringify(m.terms), m.acceptedAt);
  }
  acceptTerms(pageId: string, contributor: string, terms: unknown, at: string): void {
    this.db
      .prepare(
        'INSERT INTO planned_page_contributors (page_id, contributor, invited_by, terms, accepted_at) VALUES (?, ?, NULL, ?, ?) ON CONFLICT (page_id, contributor) DO UPDATE SET terms = excluded.terms, accepted_at = excluded.accepted_at WHERE accepted_at IS NULL',
      )
      .run(pageId, contributor, JSON.stringify(terms), at);
  }
  membership(pageId: string, contributor: string): Membership | undefined {
    const r = this.db.prepare('SELECT * FROM planned_page_contributors WHERE page_id = ? AND contributor = ?').get(pageId, contributor) as Row | undefined;
    return r ? toMembership(r) : undefined;
  }
  membershipsOf(contributor: string): Membership[] {
    return (this.db.prepare('SELECT * FROM planned_page_contributors WHERE contributor = ?').all(contributor) as Row[]).map(toMembership);
  }
  membersOf(pageId: string): Membership[] {
    return (this.db.prepare('SELECT * FROM planned_page_contributors WHERE page_id = ?').all(pageId) as Row[]).map(toMembership);
  }

  // Contributions
  addContribution(c: Contribution, data: Buffer | null): void {
    this.db
      .prepare(
        'INSERT INTO planned_contributions (id, page_id, contributor, section, kind, title, teaser, body, file_name, file_type, file_inline, file_size, file_sha256, file_data, state, reason, created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        c.id,
        c.pageId,
        c.contributor,
        c.section,
        c.kind,
        c.title,
        c.teaser,
        c.body,
        c.file?.name ?? null,
        c.file?.mediaType ?? null,
        c.file?.inline ? 1 : 0,
        c.file?.size ?? null,
        c.file?.sha256 ?? null,
        data,
        c.state,
        c.reason,
        c.createdAt,
        c.decidedAt,
      );
  }
  contribution(id: string): Contribution | undefined {
    const r = this.db
      .prepare(
        'SELECT id, page_id, contributor, section, kind, title, teaser, body, file_name, file_type, file_inline, file_size, file_sha256, state, reason, created_at, decided_at FROM planned_contributions WHERE id = ?',
      )
      .get(id) as Row | undefined;
    return r ? toContribution(r) : undefined;
  }
  fileData(id: string): Buffer | undefined {
    const r = this.db.prepare('SELECT file_data FROM planned_contributions WHERE id = ?').get(id) as { file_data: Buffer | null } | undefined;
    return r?.file_data ?? undefined;
  }
  private static readonly COLS = 'id, page_id, contributor, section, kind, title, teaser, body, file_name, file_type, file_inline, file_size, file_sha256, state, reason, created_at, decided_at';
  contributionsOfPage(pageId: string, state?: ContributionState): Contribution[] {
    const rows = state
      ? this.db.prepare(`SELECT ${PlannedStore.COLS} FROM planned_contributions WHERE page_id = ? AND state = ? ORDER BY created_at, id`).all(pageId, state)
      : this.db.prepare(`SELECT ${PlannedStore.COLS} FROM planned_contributions WHERE page_id = ? ORDER BY created_at, id`).all(pageId);
    return (rows as Row[]).map(toContribution);
  }
  contributionsBy(contributor: string): Contribution[] {
    return (this.db.prepare(`SELECT ${PlannedStore.COLS} FROM planned_contributions WHERE contributor = ? ORDER BY created_at DESC`).all(contributor) as Row[]).map(toContribution);
  }
  decideContribution(id: string, state: 'accepted' | 'rejected', reason: string | null, at: string): boolean {
    return this.db.prepare("UPDATE planned_contributions SET state = ?, reason = ?, decided_at = ? WHERE id = ? AND state = 'pending'").run(state, reason, at, id).changes === 1;
  }

  // Orders
  addOrder(o: Order): void {
    this.db
      .prepare(
        'INSERT INTO planned_orders (id, site, idempotency_key, request_hash, user_id, page_id, planner, item_kind, contribution_id, delivers, amount, currency, state, created_at, refunded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        o.id,
        o.site,
        o.idempotencyKey,
        o.requestHash,
        o.userId,
        o.pageId,
        o.planner,
        o.itemKind,
        o.contributionId,
        JSON.stringify(o.delivers),
        o.amount,
        o.currency,
        o.state,
        o.createdAt,
        o.refundedAt,
      );
  }
  order(id: string): Order | undefined {
    const r = this.db.prepare('SELECT * FROM planned_orders WHERE id = ?').get(id) as Row | undefined;
    return r ? toOrder(r) : undefined;
  }
  orderByKey(site: string, key: string): Order | undefined {
    const r = this.db.prepare('SELECT * FROM planned_orders WHERE site = ? AND idempotency_key = ?').get(site, key) as Row | undefined;
    return r ? toOrder(r) : undefined;
  }
  ordersOfUser(userId: string, site?: string): Order[] {
    const rows = site
      ? this.db.prepare('SELECT * FROM planned_orders WHERE user_id = ? AND site = ? ORDER BY created_at DESC').all(userId, site)
      : this.db.prepare('SELECT * FROM planned_orders WHERE user_id = ? ORDER BY created_at DESC').all(userId);
    return (rows as Row[]).map(toOrder);
  }
  orders(limit = 500): Order[] {
    return (this.db.prepare('SELECT * FROM planned_orders ORDER BY created_at DESC LIMIT ?').all(limit) as Row[]).map(toOrder);
  }
  ownsAcceptedBuy(userId: string, contributionId: string): boolean {
    const rows = this.db.prepare("SELECT delivers FROM planned_orders WHERE user_id = ? AND state = 'paid'").all(userId) as { delivers: string }[];
    return rows.some((r) => (JSON.parse(r.delivers) as string[]).includes(contributionId));
  }
  markRefunded(id: string, at: string): boolean {
    return this.db.prepare("UPDATE planned_orders SET state = 'refunded', refunded_at = ? WHERE id = ? AND state = 'paid'").run(at, id).changes === 1;
  }

  // Periodic notices
  totalsSent(partyId: string, period: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM planned_totals_sent WHERE party_id = ? AND period = ?').get(partyId, period);
  }
  recordTotalsSent(partyId: string, period: string, noticeId: string, checkpointSize: number | null, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO planned_totals_sent (party_id, period, notice_id, checkpoint_size, sent_at) VALUES (?, ?, ?, ?, ?)').run(partyId, period, noticeId, checkpointSize, at);
  }
}
