import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import { decodeEntry, truncateAddress, uaClass } from '../../common/logchain/entry.js';
import { formatMoney } from '../../common/money.js';
import { contributorPayText } from '../../common/planned/shares/index.js';
import {
  ACCESS_PATH_RE,
  boughtHtml,
  boughtMarkdown,
  boughtPdf,
  checkFile,
  inPageOrder,
  contributionFields,
  pageFile,
  pageSpec,
  renderDirectory,
  renderPlannedPage,
  renderPlannerHome,
  saleFile,
  type BoughtContent,
  type CommonOrder,
  type Format,
  type OrderReceipt,
  type PageSpec,
  type SaleData,
} from '../../common/planned/index.js';
import type { NoticeService } from '../notices/index.js';
import type { Party, PortalService } from '../portal/index.js';
import { plannedErrors } from './errors.js';
import type { Application, CarriedBy, Contribution, Order, PlannedPage, PlannedStore, Planner } from './planned-store.js';
import type { ContractView, SharesPort } from './shares-port.js';
import { deliveredBy, tallyEntry, UseTotals } from './use-totals.js';
import { UseTotalsStore } from './use-totals-store.js';
import { CARRIAGE_FILE, carries, DIRECTORY_DEFAULT, DIRECTORY_PAGE, directoryFor, namedPartners, type CarriageIndex } from './carriage.js';

const EMAIL_RE = /^[^\s@<>"]+@[^\s@<>".]+(\.[^\s@<>".]+)+$/;
const oneLine = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(min).max(max));

export const applicationInput = z.strictObject({
  email: z.string().trim().max(254).regex(EMAIL_RE, 'an e-mail address'),
  displayName: oneLine(1, 120),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'a home page name is 2-40 lowercase letters, digits or "-"'),
  pitch: z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'say what you plan').max(4000)),
});

export const contributorInput = z.strictObject({ email: z.string().trim().max(254).regex(EMAIL_RE, 'an e-mail address'), displayName: oneLine(1, 120) });

export const carriedByInput = z.union([z.literal('all'), z.literal('none'), z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/)).max(1000)]);

/** The result of reading a period's use totals from the signed log. */
export interface TotalsLine {
  role: 'planner' | 'contributor';
  party: string;
  page: string;
  pageTitle: string;
  contribution: string | null;
  contributionTitle: string | null;
  sales: number;
  refunds: number;
  amount: number;
  currency: string;
  views: number;
  downloads: number;
}
export interface Totals {
  period: string;
  from: string;
  to: string;
  /** The checkpoint the totals rest on: every counted entry is at an index below its size. */
  checkpoint: { size: number; root: string; time: string } | null;
  lines: TotalsLine[];
}

/** "2026-11" -> its UTC start and end. */
export function periodBounds(period: string): { from: string; to: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw plannedErrors.invalid_input('a period is a month, YYYY-MM');
  const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  const to = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
  return { from: from.toISOString(), to: to.toISOString() };
}
export const periodOf = (d: Date): string => d.toISOString().slice(0, 7);

const newId = (prefix: string, bytes = 6) => `${prefix}${randomBytes(bytes).toString('hex')}`;
const now = () => new Date().toISOString();

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw plannedErrors.invalid_input(`${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`, { issues: r.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) });
  }
  return r.data;
}

export interface PlannedDeps {
  ctx: SiteContext;
  store: PlannedStore;
  portal: PortalService;
  notices: NoticeService;
  shares: SharesPort;
  /** Whether an account exists at the main site's user centre. */
  userExists(id: string): boolean;
  /** Publishes the content folder as a new release (the sync capability). */
  publish(note: string): void;
}

/**
 * Planned pages at the main site (seed 000): planner applications and their
 * approval with a contract, pages built with the assistant and published in
 * releases, contributors and their moderated contributions, orders in the
 * common format from every site, delivery in the buyer's format with every
 * access logged, and use totals counted from the signed log.
 */
export class PlannedService {
  readonly store: PlannedStore;
  private readonly ctx: SiteContext;
  private readonly useTotals: UseTotals;
  constructor(private readonly d: PlannedDeps) {
    this.store = d.store;
    this.ctx = d.ctx;
    this.useTotals = new UseTotals(d.ctx, new UseTotalsStore(d.ctx.db), d.store);
  }

  get siteId(): string {
    return this.ctx.config.siteId;
  }

  // ---- planners -------------------------------------------------------------------------------------------------

  /** A public application (seed claim 5: "inviting registration of plans"); the operator decides. */
  apply(raw: unknown): Application {
    const a = parse(applicationInput, raw);
    if (this.store.pendingApplicationFor(a.email)) throw plannedErrors.application_pending();
    if (this.store.slugTaken(a.slug)) throw plannedErrors.slug_taken();
    const app: Application = { id: newId('pa-'), ...a, status: 'pending', reason: null, partyId: null, createdAt: now(), decidedAt: null, decidedBy: null };
    this.store.addApplication(app);
    this.ctx.logger.info({ event: 'planner_applied', application: app.id }, 'planner application received');
    return app;
  }

  /**
   * Approves an application with the planner's first contract version (claim 3:
   * the contract is made at registration): the portal invites the planner,
   * the shares module records the contract, in one transaction.
   */
  approve(id: string, raw: unknown, by: string): { application: Application; planner: Planner; contract: ContractView } {
    const input = parse(z.strictObject({ terms: z.unknown(), effectiveFrom: z.string().optional(), carriedBy: carriedByInput.default('all') }), raw);
    const app = this.store.application(id);
    if (!app) throw plannedErrors.application_not_found();
    if (app.status !== 'pending') throw plannedErrors.application_decided();
    return this.store.transaction(() => {
      const { party } = this.d.portal.invite({ email: app.email, kind: 'planner', displayName: app.displayName }, by);
      const contract = this.d.shares.setContract(party.id, input.terms, input.effectiveFrom ? { effectiveFrom: input.effectiveFrom } : {});
      const at = now();
      const planner: Planner = { partyId: party.id, slug: app.slug, displayName: app.displayName, carriedBy: input.carriedBy, createdAt: at };
      this.store.addPlanner(planner);
      this.store.decideApplication(id, 'approved', null, party.id, by, at);
      this.ctx.logger.info({ event: 'planner_approved', application: id, party: party.id, by }, 'planner approved');
      return { application: this.store.application(id)!, planner, contract };
    });
  }

  reject(id: string, reason: string, by: string): Application {
    const r = parse(oneLine(1, 500), reason);
    const app = this.store.application(id);
    if (!app) throw plannedErrors.application_not_found();
    if (app.status !== 'pending') throw plannedErrors.application_decided();
    this.store.decideApplication(id, 'rejected', r, null, by, now());
    this.d.notices.send({
      recipient: { email: app.email, name: app.displayName },
      kind: 'planner_application',
      subject: 'Your planner application',
      text: `Your application to open planned pages was not accepted.\n\nReason: ${r}\n`,
      dedupeKey: `planned:application:${id}:rejected`,
    });
    return this.store.application(id)!;
  }

  /** A new contract version for a planner (claim 3: every change is a new version with its own effective time). */
  changeContract(planner: string, raw: unknown): ContractView {
    const input = parse(z.strictObject({ terms: z.unknown(), effectiveFrom: z.string().optional() }), raw);
    if (!this.store.planner(planner)) throw plannedErrors.planner_not_found();
    return this.d.shares.setContract(planner, input.terms, input.effectiveFrom ? { effectiveFrom: input.effectiveFrom } : {});
  }

  setCarriedBy(planner: string, raw: unknown): Planner {
    const c = parse(carriedByInput, raw);
    if (!this.store.planner(planner)) throw plannedErrors.planner_not_found();
    this.store.setCarriedBy(planner, c);
    this.republish(`partners carrying ${planner} changed`);
    return this.store.planner(planner)!;
  }

  /** Contributors register themselves: the portal sends the link that sets their password. */
  registerContributor(raw: unknown): { party: Party } {
    const c = parse(contributorInput, raw);
    const existing = this.d.portal.list({}).find((p) => p.email.toLowerCase() === c.email.toLowerCase());
    if (existing) return { party: existing }; // no hint whether an address is registered; the owner has the link already
    return { party: this.d.portal.invite({ email: c.email, kind: 'contributor', displayName: c.displayName }, 'self-registration').party };
  }

  /** A planner invites a contributor to one of its pages (an existing contributor is added; a new one is invited to the portal). */
  inviteContributor(planner: string, pageId: string, raw: unknown): Party {
    const page = this.ownPage(planner, pageId);
    const c = parse(contributorInput, raw);
    let party = this.d.portal.list({}).find((p) => p.email.toLowerCase() === c.email.toLowerCase());
    if (party && party.kind !== 'contributor') throw plannedErrors.invalid_input('that e-mail address belongs to a party that is not a contributor');
    party ??= this.d.portal.invite({ email: c.email, kind: 'contributor', displayName: c.displayName }, planner).party;
    this.store.addMember({ pageId: page.id, contributor: party.id, invitedBy: planner, terms: null, acceptedAt: null });
    this.d.notices.send({
      recipient: { party: party.id },
      kind: 'planned_invitation',
      subject: `Invitation to contribute to "${page.spec.title}"`,
      text: `You are invited to contribute to the planned page "${page.spec.title}". Log in to the portal, open Contribute, read the page's contributor terms and accept them to contribute.\n`,
      dedupeKey: `planned:invite:${page.id}:${party.id}`,
    });
    return party;
  }

  planner(partyId: string): Planner | undefined {
    return this.store.planner(partyId);
  }

  // ---- pages (the assistant) ------------------------------------------------------------------------------------

  private ownPage(planner: string, pageId: string): PlannedPage {
    const p = this.store.page(pageId);
    // Another planner's page answers as one that does not exist.
    if (!p || p.planner !== planner) throw plannedErrors.page_not_found();
    return p;
  }

  createPage(planner: string, raw: unknown): PlannedPage {
    if (!this.store.planner(planner)) throw plannedErrors.planner_not_found();
    const spec = parse(pageSpec, raw);
    const at = now();
    const page: PlannedPage = { id: newId('pp-'), planner, state: 'draft', spec, createdAt: at, updatedAt: at, openedAt: null };
    this.store.addPage(page);
    return page;
  }

  updatePage(planner: string, pageId: string, raw: unknown): PlannedPage {
    const page = this.ownPage(planner, pageId);
    if (page.state !== 'draft') throw plannedErrors.page_not_draft();
    this.store.updateSpec(pageId, parse(pageSpec, raw), now());
    return this.store.page(pageId)!;
  }

  /** The page as it will be published, for the assistant's preview (same renderer as the release). */
  preview(planner: string, pageId: string): { page: PlannedPage; html: string } {
    const page = this.ownPage(planner, pageId);
    return { page, html: renderPlannedPage(this.modelOf(page)) };
  }

  /** Opens a page: a contract must be in force; the page goes into the next release. */
  openPage(planner: string, pageId: string): PlannedPage {
    const page = this.ownPage(planner, pageId);
    if (page.state === 'open') return page;
    if (!this.d.shares.contractAt(planner, now())) throw plannedErrors.no_contract();
    this.store.setPageState(pageId, 'open', now());
    this.republish(`planned page ${pageId} opened`);
    return this.store.page(pageId)!;
  }

  closePage(planner: string, pageId: string): PlannedPage {
    this.ownPage(planner, pageId);
    this.store.setPageState(pageId, 'closed', now());
    this.republish(`planned page ${pageId} closed`);
    return this.store.page(pageId)!;
  }

  pagesOf(planner: string): PlannedPage[] {
    return this.store.pagesOf(planner);
  }

  openPages(): PlannedPage[] {
    return this.store.pages('open');
  }

  page(id: string): PlannedPage | undefined {
    return this.store.page(id);
  }

  private name(partyId: string): string {
    return this.d.portal.get(partyId)?.displayName ?? partyId;
  }

  private modelOf(page: PlannedPage) {
    const planner = this.store.planner(page.planner)!;
    return {
      id: page.id,
      spec: page.spec,
      planner: { name: planner.displayName, slug: planner.slug },
      contributions: this.inOrder(page, 'accepted').map((c) => ({ id: c.id, section: c.section, title: c.title, teaser: c.teaser, contributor: this.name(c.contributor), kind: c.kind })),
    };
  }

  saleData(page: PlannedPage): SaleData {
    const planner = this.store.planner(page.planner)!;
    return {
      page: page.id,
      title: page.spec.title,
      planner: { id: planner.partyId, name: planner.displayName, slug: planner.slug },
      currency: page.spec.currency,
      pagePrice: page.spec.pagePrice,
      contributionPrice: page.spec.contributionPrice,
      formats: page.spec.formats,
      partners: planner.carriedBy === 'none' ? [] : planner.carriedBy,
      contributions: this.inOrder(page, 'accepted').map((c) => ({ id: c.id, title: c.title, contributor: this.name(c.contributor) })),
      release: page.updatedAt,
    };
  }

  /**
   * Writes every open page, its sale data, each planner's home page and the
   * directory into the content folder (pages/planned/, assets/planned/,
   * pages/planners/: folders this capability owns) and publishes a release.
   */
  republish(note: string): void {
    const dir = this.ctx.config.contentDir;
    const open = this.store.pages('open');
    const want = new Map<string, string>();
    for (const page of open) {
      want.set(pageFile(page.id), renderPlannedPage(this.modelOf(page)));
      want.set(saleFile(page.id), JSON.stringify(this.saleData(page), null, 1));
    }
    const planners = this.store.planners();
    for (const p of planners) {
      const pages = open.filter((x) => x.planner === p.partyId).map((x) => ({ id: x.id, title: x.spec.title, description: x.spec.description }));
      want.set(`pages/planners/${p.slug}.html`, renderPlannerHome({ name: p.displayName, slug: p.slug, pages }));
    }
    const listed = (ps: Planner[]) => renderDirectory(ps.map((p) => ({ name: p.displayName, slug: p.slug, pages: open.filter((x) => x.planner === p.partyId).length })));
    want.set(DIRECTORY_PAGE, listed(planners));
    // What partners receive is cut from these by plannedReleaseFilter (carriage.ts): each its own directory.
    const named = namedPartners(planners);
    want.set(DIRECTORY_DEFAULT, listed(planners.filter((p) => p.carriedBy === 'all')));
    for (const partner of named) want.set(directoryFor(partner), listed(planners.filter((p) => carries(p.carriedBy, partner))));
    const index: CarriageIndex = {
      version: 1,
      planners: planners.map((p) => ({ slug: p.slug, carriedBy: p.carriedBy, pages: open.filter((x) => x.planner === p.partyId).map((x) => x.id) })),
      directory: { default: DIRECTORY_DEFAULT, partners: named.map((partner) => ({ partner, path: directoryFor(partner) })) },
    };
    want.set(CARRIAGE_FILE, JSON.stringify(index, null, 1));
    for (const folder of ['pages/planned', 'assets/planned', 'pages/planners']) {
      let names: string[] = [];
      try {
        names = readdirSync(join(dir, folder));
      } catch {
        // not there yet
      }
      for (const n of names) if (!want.has(`${folder}/${n}`)) rmSync(join(dir, folder, n), { force: true });
    }
    for (const [path, text] of want) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    try {
      this.d.publish(note);
    } catch (err) {
      // The files are in place; the next publish (the watcher, or the operator) carries them.
      this.ctx.logger.warn({ event: 'planned_publish_failed', reason: (err as Error).message }, 'planned pages written but not published');
    }
  }

  /**
   * A content folder written before the carriage index existed has planned
   * pages that partners would not receive at all (the filter fails closed):
   * write it, with a release, once.
   */
  ensureCarriageIndex(): void {
    if (!this.store.planners().length || existsSync(join(this.ctx.config.contentDir, CARRIAGE_FILE))) return;
    this.republish('the planned pages carriage index written');
  }

  // ---- contributors and contributions ---------------------------------------------------------------------------

  /** The contributor terms of a page (claim 3): how contributors are paid under the planner's contract in force. */
  contributorTerms(pageId: string): { page: PlannedPage; contract: ContractView; text: string } {
    const page = this.store.page(pageId);
    if (!page || page.state !== 'open') throw plannedErrors.page_not_found();
    const contract = this.d.shares.contractAt(page.planner, now());
    if (!contract) throw plannedErrors.no_contract();
    const how = contributorPayText(contract.terms.contributorPay, contract.terms.currency, 'you');
    const text =
      `Contributor terms of "${page.spec.title}" (contract version ${contract.version} of ${this.name(page.planner)}): you are paid ${how}. ` +
      `Balances are held ${contract.terms.holdingDays} day(s) after each sale and paid once they reach ${formatMoney({ amount: contract.terms.payoutMinimum, currency: contract.terms.currency })}; statements are ${contract.terms.statementCycle}. ` +
      `You keep the rights to what you contribute and grant the planner and the network the right to sell it on this page. The planner may accept or reject each contribution.`;
    return { page, contract, text };
  }

  acceptTerms(contributor: string, pageId: string): void {
    const { contract, text } = this.contributorTerms(pageId);
    this.store.acceptTerms(pageId, contributor, { contractVersion: contract.version, contributorPay: contract.terms.contributorPay, text }, now());
  }

  membership(contributor: string, pageId: string) {
    return this.store.membership(pageId, contributor);
  }

  memberships(contributor: string) {
    return this.store.membershipsOf(contributor);
  }

  maxFileBytes(): number {
    return this.ctx.config.plannedMaxFileBytes;
  }

  /** A contribution, waiting for the planner's decision (the moderation queue). */
  contribute(contributor: string, pageId: string, raw: unknown, file: { name: string; data: Buffer } | null): Contribution {
    const page = this.store.page(pageId);
    if (!page || page.state !== 'open') throw plannedErrors.page_not_found();
    if (!this.store.membership(pageId, contributor)?.acceptedAt) throw plannedErrors.terms_not_accepted();
    const f = parse(contributionFields, raw);
    if (!page.spec.sections.some((s) => s.id === f.section)) throw plannedErrors.invalid_input('section: choose a section of the page');
    let stored: Contribution['file'] = null;
    if (f.kind === 'text') {
      if (!f.body) throw plannedErrors.invalid_input('body: a text contribution needs its text');
      if (file) throw plannedErrors.invalid_input('a text contribution carries no file');
    } else {
      if (!file) throw plannedErrors.invalid_input(`an ${f.kind} contribution needs its file`);
      const check = checkFile(f.kind, file.name, file.data, this.maxFileBytes());
      if (!check.ok) throw plannedErrors.file_refused(check.message);
      stored = { name: file.name, mediaType: check.mediaType, inline: check.inline, size: file.data.length, sha256: createHash('sha256').update(file.data).digest('hex') };
    }
    const c: Contribution = { id: newId('pc-'), pageId, contributor, ...f, file: stored, state: 'pending', reason: null, createdAt: now(), decidedAt: null };
    this.store.addContribution(c, stored ? file!.data : null);
    this.d.notices.send({
      recipient: { party: page.planner },
      kind: 'planned_contribution',
      subject: `New contribution to "${page.spec.title}"`,
      text: `${this.name(contributor)} contributed "${c.title}" to "${page.spec.title}". Accept or reject it in the portal's moderation queue.\n`,
      dedupeKey: `planned:contribution:${c.id}`,
    });
    return c;
  }

  contributionsBy(contributor: string): Contribution[] {
    return this.store.contributionsBy(contributor);
  }

  /** The moderation queue: pending contributions to the planner's own pages. */
  queue(planner: string): { page: PlannedPage; contribution: Contribution }[] {
    return this.store.pagesOf(planner).flatMap((page) => this.inOrder(page, 'pending').map((contribution) => ({ page, contribution })));
  }

  contributionsOfPage(planner: string, pageId: string): Contribution[] {
    return this.inOrder(this.ownPage(planner, pageId));
  }

  /** A page's contributions (of one state, or all) in the page's own order: by its sections, then as sent. */
  private inOrder(page: PlannedPage, state?: Contribution['state']): Contribution[] {
    return inPageOrder(page.spec.sections, this.store.contributionsOfPage(page.id, state));
  }

  /** The planner accepts or rejects (with a reason); an accepted contribution appears on the page in the next release. */
  decide(planner: string, contributionId: string, decision: 'accept' | 'reject', reason: string): Contribution {
    const c = this.store.contribution(contributionId);
    if (!c) throw plannedErrors.contribution_not_found();
    const page = this.store.page(c.pageId);
    if (!page || page.planner !== planner) throw plannedErrors.contribution_not_found();
    const why = decision === 'reject' ? parse(oneLine(1, 500), reason) : null;
    const at = now();
    this.store.transaction(() => {
      if (!this.store.decideContribution(contributionId, decision === 'accept' ? 'accepted' : 'rejected', why, at)) throw plannedErrors.contribution_decided();
      if (decision === 'accept') this.d.shares.recordAcceptance({ contribution: c.id, contributor: c.contributor, planner, page: page.id, time: at });
      this.d.notices.send({
        recipient: { party: c.contributor },
        kind: 'planned_moderation',
        subject: `Your contribution "${c.title}" was ${decision === 'accept' ? 'accepted' : 'rejected'}`,
        text: decision === 'accept' ? `"${c.title}" now appears on "${page.spec.title}".\n` : `"${c.title}" was not accepted for "${page.spec.title}".\n\nReason: ${why}\n`,
        dedupeKey: `planned:decision:${c.id}`,
      });
    });
    if (decision === 'accept' && page.state === 'open') this.republish(`contribution ${c.id} accepted on ${page.id}`);
    return this.store.contribution(contributionId)!;
  }

  /**
   * A contribution's content for a party: its contributor and the page's
   * planner may read it; anyone else gets "not found" (buyers read through
   * their orders). The teaser and title are public on the page.
   */
  contributionFor(party: Party, id: string): { contribution: Contribution; data: Buffer | undefined } | undefined {
    const c = this.store.contribution(id);
    if (!c) return undefined;
    const page = this.store.page(c.pageId);
    const mayRead = (party.kind === 'contributor' && c.contributor === party.id) || (party.kind === 'planner' && page?.planner === party.id);
    if (!mayRead) return undefined;
    return { contribution: c, data: c.file ? this.store.fileData(c.id) : undefined };
  }

  // ---- orders ---------------------------------------------------------------------------------------------------

  private itemOf(page: PlannedPage, item: CommonOrder['items'][number]): { title: string; price: number | null; delivers: string[] } {
    const accepted = this.inOrder(page, 'accepted');
    if (item.kind === 'page') return { title: page.spec.title, price: page.spec.pagePrice, delivers: accepted.map((c) => c.id) };
    const c = accepted.find((x) => x.id === item.id);
    if (!c) throw plannedErrors.contribution_not_found('there is no such contribution on this page');
    return { title: c.title, price: page.spec.contributionPrice, delivers: [c.id] };
  }

  private mayCarry(planner: Planner, site: string): boolean {
    if (site === this.ctx.config.siteId) return true;
    return planner.carriedBy === 'all' || (Array.isArray(planner.carriedBy) && planner.carriedBy.includes(site));
  }

  /** What a site may sell of a page now: the bill before the order (seller, item, price). */
  quote(site: string, pageId: string, item: CommonOrder['items'][number]) {
    const page = this.store.page(pageId);
    if (!page || page.state !== 'open') throw plannedErrors.page_not_found();
    const planner = this.store.planner(page.planner)!;
    if (!this.mayCarry(planner, site)) throw plannedErrors.not_for_sale();
    const it = this.itemOf(page, item);
    if (it.price === null) throw plannedErrors.not_for_sale(item.kind === 'page' ? 'this page is not sold whole' : 'contributions of this page are not sold one by one');
    if (item.kind === 'page' && !it.delivers.length) throw plannedErrors.not_for_sale('this page has no contributions yet');
    return { page, planner, item: it, price: { amount: it.price, currency: page.spec.currency } };
  }

  /**
   * Places an order in the common format (claims 8-9), from the main shop or
   * forwarded by a partner. The price must be the one the planner set; the
   * same idempotency key with the same order answers the first receipt. The
   * sale is recorded with the shares module in the same transaction.
   */
  placeOrder(site: string, order: CommonOrder): OrderReceipt {
    const requestHash = createHash('sha256')
      .update(JSON.stringify([order.user, order.planner, order.page, order.items, order.price]))
      .digest('hex');
    const seen = this.store.orderByKey(site, order.idempotencyKey);
    if (seen) {
      if (seen.requestHash !== requestHash) throw plannedErrors.idempotency_key_reused();
      return { ...this.receipt(seen), replayed: true };
    }
    if (!this.d.userExists(order.user)) throw plannedErrors.user_unknown();
    const item = order.items[0]!;
    const q = this.quote(site, order.page, item);
    if (q.planner.partyId !== order.planner) throw plannedErrors.planner_mismatch();
    if (q.price.amount !== order.price.amount || q.price.currency !== order.price.currency)
      throw plannedErrors.price_changed(`the price is now ${formatMoney(q.price)}; nothing was ordered`, { price: q.price });
    const at = now();
    const o: Order = {
      id: newId('po-', 8),
      site,
      idempotencyKey: order.idempotencyKey,
      requestHash,
      userId: order.user,
      pageId: q.page.id,
      planner: q.planner.partyId,
      itemKind: item.kind,
      contributionId: item.kind === 'contribution' ? item.id : null,
      delivers: q.item.delivers,
      amount: q.price.amount,
      currency: q.price.currency,
      state: 'paid',
      createdAt: at,
      refundedAt: null,
    };
    const uses = this.useCounts(q.page.id);
    this.store.transaction(() => {
      this.store.addOrder(o);
      this.d.shares.recordSale({
        saleId: o.id,
        time: at,
        planner: o.planner,
        page: o.pageId,
        kind: o.itemKind,
        contributions: o.delivers.map((id) => ({ contribution: id, contributor: this.store.contribution(id)!.contributor, uses: uses.get(id) ?? 0 })),
        amount: o.amount,
        currency: o.currency,
        site,
        orderRef: o.id,
      });
    });
    this.ctx.logger.info({ event: 'planned_order', order: o.id, site, page: o.pageId, amount: o.amount }, 'planned page order placed');
    return this.receipt(o);
  }

  /** Refund or cancellation by the operator: the order stops delivering and every party's part is reversed (shares). */
  refund(orderId: string, raw: unknown, by: string): OrderReceipt {
    const input = parse(z.strictObject({ reason: oneLine(1, 500), kind: z.enum(['refund', 'cancellation']).default('refund') }), raw);
    const o = this.store.order(orderId);
    if (!o) throw plannedErrors.order_not_found();
    const at = now();
    this.store.transaction(() => {
      if (!this.store.markRefunded(orderId, at)) throw plannedErrors.order_refunded('this order was already refunded');
      this.d.shares.recordRefund({ refundId: `${o.id}-r`, saleId: o.id, time: at, kind: input.kind, amount: o.amount, currency: o.currency, reason: input.reason });
    });
    this.ctx.logger.info({ event: 'planned_refund', order: o.id, by }, 'planned page order refunded');
    return this.receipt(this.store.order(orderId)!);
  }

  receipt(o: Order): OrderReceipt {
    const page = this.store.page(o.pageId)!;
    const planner = this.store.planner(o.planner)!;
    const itemTitle = o.itemKind === 'page' ? page.spec.title : (this.store.contribution(o.contributionId!)?.title ?? o.contributionId!);
    return {
      id: o.id,
      site: o.site,
      page: o.pageId,
      pageTitle: page.spec.title,
      item: o.itemKind === 'page' ? { kind: 'page' } : { kind: 'contribution', id: o.contributionId! },
      itemTitle,
      seller: { id: planner.partyId, name: planner.displayName },
      amount: o.amount,
      currency: o.currency,
      formats: page.spec.formats,
      state: o.state,
      createdAt: o.createdAt,
      replayed: false,
    };
  }

  /** A buyer's order, only on the site it was placed on and only for its buyer. */
  orderFor(site: string, user: string, orderId: string): Order {
    const o = this.store.order(orderId);
    if (!o || o.site !== site || o.userId !== user) throw plannedErrors.order_not_found();
    return o;
  }

  ordersOf(user: string, site: string): OrderReceipt[] {
    return this.store.ordersOfUser(user, site).map((o) => this.receipt(o));
  }

  orders(): Order[] {
    return this.store.orders();
  }

  /**
   * Converts what was bought into the form the buyer chose (claim 7) and logs
   * the access (claim 1: instances of use, per planner and contributor).
   */
  async deliver(site: string, req: { user: string; order: string; format: Format | 'file'; contribution?: string | undefined }, client: { ip?: string | undefined; ua?: string | undefined } = {}) {
    const o = this.orderFor(site, req.user, req.order);
    if (o.state !== 'paid') throw plannedErrors.order_refunded();
    const page = this.store.page(o.pageId)!;
    const receipt = this.receipt(o);
    let out: { fileName: string; contentType: string; inline: boolean; data: Buffer };
    if (req.format === 'file') {
      if (!req.contribution || !o.delivers.includes(req.contribution)) throw plannedErrors.contribution_not_found();
      const c = this.store.contribution(req.contribution);
      const data = c?.file ? this.store.fileData(c.id) : undefined;
      if (!c?.file || !data) throw plannedErrors.contribution_not_found('this contribution has no file');
      out = { fileName: c.file.name, contentType: c.file.mediaType, inline: c.file.inline, data };
    } else {
      if (!page.spec.formats.includes(req.format)) throw plannedErrors.format_not_offered();
      const bought = this.bought(o, req.format === 'pdf');
      const base = o.itemKind === 'page' ? 'page' : o.contributionId!;
      if (req.format === 'html') out = { fileName: `${base}.html`, contentType: 'text/html; charset=utf-8', inline: true, data: Buffer.from(boughtHtml(bought, `/account/planned/${o.id}/file`)) };
      else if (req.format === 'markdown') out = { fileName: `${o.id}.md`, contentType: 'text/markdown; charset=utf-8', inline: false, data: Buffer.from(boughtMarkdown(bought)) };
      else out = { fileName: `${o.id}.pdf`, contentType: 'application/pdf', inline: false, data: await boughtPdf(bought) };
    }
    this.ctx.log.append({
      time: now(),
      site: this.ctx.config.siteId,
      type: 'planned_access',
      path: `/planned/${o.pageId}/${o.itemKind === 'page' ? 'page' : o.contributionId}/${req.format}${req.format === 'file' ? `/${req.contribution}` : ''}`,
      kind: 'none',
      release: null,
      status: 200,
      bytes: out.data.length,
      user: o.userId,
      session: o.site,
      client: truncateAddress(client.ip),
      ua: uaClass(client.ua),
      order: { id: o.id, amount: o.amount, currency: o.currency },
    });
    return { receipt, ...out };
  }

  private bought(o: Order, withFiles: boolean): BoughtContent {
    const page = this.store.page(o.pageId)!;
    const r = this.receipt(o);
    return {
      orderId: o.id,
      pageTitle: page.spec.title,
      itemTitle: r.itemTitle,
      seller: r.seller.name,
      site: o.site,
      amount: o.amount,
      currency: o.currency,
      boughtAt: o.createdAt,
      // In the page's order (orders placed before it was kept list their contributions as sent).
      parts: inPageOrder(
        page.spec.sections,
        o.delivers.flatMap((id) => {
          const c = this.store.contribution(id);
          return c ? [c] : [];
        }),
      ).flatMap((c) => {
        const data = withFiles && c.file ? this.store.fileData(c.id) : undefined;
        return [
          {
            id: c.id,
            section: page.spec.sections.find((s) => s.id === c.section)?.heading ?? c.section,
            title: c.title,
            teaser: c.teaser,
            contributor: this.name(c.contributor),
            kind: c.kind,
            body: c.body,
            file: c.file ? { name: c.file.name, mediaType: c.file.mediaType, inline: c.file.inline, size: c.file.size, ...(data ? { data } : {}) } : null,
          },
        ];
      }),
    };
  }

  // ---- use totals from the signed log ---------------------------------------------------------------------------

  /** Each accepted contribution's uses so far (accesses to bought content that delivered it), from the log: counted incrementally (use-totals.ts). */
  useCounts(pageId: string): Map<string, number> {
    return this.useTotals.useCounts(pageId);
  }

  /** useCounts by reading the whole log again: the reference the incremental count is tested and benchmarked against. */
  recountUseCounts(pageId: string): Map<string, number> {
    const counts = new Map<string, number>();
    this.scanLog(null, (e, o) => {
      if (e.type !== 'planned_access' || o.pageId !== pageId) return;
      const m = ACCESS_PATH_RE.exec(e.path)!;
      for (const id of m[3] === 'file' ? [m[4]!] : o.delivers) counts.set(id, (counts.get(id) ?? 0) + 1);
    });
    return counts;
  }

  private scanLog(window: { from: string; to: string } | null, visit: (e: { type: string; path: string; time: string }, order: Order) => void, upTo = this.ctx.log.size): void {
    const orders = new Map<string, Order | null>();
    const STEP = 5000;
    for (let from = 0; from < upTo; from += STEP) {
      for (const line of this.ctx.logStore.lines(from, Math.min(upTo, from + STEP))) {
        // A cheap test before parsing: most entries are page views.
        if (!line.includes('"planned_')) continue;
        const e = decodeEntry(line);
        if (!e || !e.order || (e.type !== 'planned_access' && e.type !== 'planned_sale' && e.type !== 'planned_refund')) continue;
        if (window && (e.time < window.from || e.time >= window.to)) continue;
        // A refund's id is its order's id and "-r" (refund below); order ids never end so.
        const id = e.type === 'planned_refund' ? e.order.id.replace(/-r$/, '') : e.order.id;
        if (!orders.has(id)) orders.set(id, this.store.order(id) ?? null);
        const o = orders.get(id);
        if (o) visit(e, o);
      }
    }
  }

  /**
   * Use totals of a period per planner (per page) and per contributor (per
   * contribution): sales, refunds and amounts from the shares module's signed
   * sale and refund entries, views and downloads from the access entries.
   * Everything counted rests on the checkpoint returned.
   */
  totals(period: string): Totals {
    const w = periodBounds(period);
    this.ctx.log.flush();
    const cp = this.ctx.log.checkpoint();
    // Only what the checkpoint covers is counted (the cursor never passes the log's committed size, which it signs).
    const rows = cp ? this.useTotals.period(period, cp.size) : [];
    const lines: TotalsLine[] = rows.map((r) => ({
      role: r.role,
      party: r.party,
      page: r.page,
      pageTitle: this.store.page(r.page)!.spec.title,
      contribution: r.contribution || null,
      contributionTitle: r.contribution ? (this.store.contribution(r.contribution)?.title ?? r.contribution) : null,
      sales: r.sales,
      refunds: r.refunds,
      amount: r.amount,
      currency: r.currency,
      views: r.views,
      downloads: r.downloads,
    }));
    return {
      period,
      ...w,
      checkpoint: cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null,
      lines: lines.sort((a, b) => (a.party + a.page + (a.contribution ?? '')).localeCompare(b.party + b.page + (b.contribution ?? ''))),
    };
  }

  /**
   * The same totals by reading the whole log again up to a fresh checkpoint:
   * the reference the incremental totals are tested and benchmarked against.
   */
  recountTotals(period: string): Totals {
    const w = periodBounds(period);
    this.ctx.log.flush();
    const cp = this.ctx.log.checkpoint();
    const lines = new Map<string, TotalsLine>();
    const line = (role: TotalsLine['role'], party: string, o: Order, contribution: string | null): TotalsLine => {
      const key = `${role}\n${party}\n${o.pageId}\n${contribution ?? ''}`;
      let l = lines.get(key);
      if (!l) {
        const page = this.store.page(o.pageId)!;
        l = {
          role,
          party,
          page: o.pageId,
          pageTitle: page.spec.title,
          contribution,
          contributionTitle: contribution ? (this.store.contribution(contribution)?.title ?? contribution) : null,
          sales: 0,
          refunds: 0,
          amount: 0,
          currency: o.currency,
          views: 0,
          downloads: 0,
        };
        lines.set(key, l);
      }
      return l;
    };
    // Looked up once per recount (a page order delivers every contribution on it), as the incremental count does.
    const contributions = new Map<string, Contribution | undefined>();
    const contributionOf = (id: string) => {
      if (!contributions.has(id)) contributions.set(id, this.store.contribution(id));
      return contributions.get(id);
    };
    if (cp)
      this.scanLog(
        w,
        (e, o) => {
          const targets: TotalsLine[] = [line('planner', o.planner, o, null)];
          const ids = deliveredBy(e, o.delivers);
          if (!ids) return;
          for (const id of ids) {
            const c = contributionOf(id);
            if (c) targets.push(line('contributor', c.contributor, o, id));
          }
          for (const t of targets) tallyEntry(t, e, o.amount);
        },
        cp.size,
      );
    return {
      period,
      ...w,
      checkpoint: cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time } : null,
      lines: [...lines.values()].sort((a, b) => (a.party + a.page + (a.contribution ?? '')).localeCompare(b.party + b.page + (b.contribution ?? ''))),
    };
  }

  /** One party's own lines: a planner sees its pages, a contributor its contributions, nobody another's. */
  totalsFor(party: Party, period: string): Totals {
    const t = this.totals(period);
    return { ...t, lines: t.lines.filter((l) => l.party === party.id && l.role === (party.kind === 'planner' ? 'planner' : 'contributor')) };
  }

  /**
   * The periodic notice (claims 4, 6): each planner and contributor with
   * lines in the period gets its own totals once (dedupe key per party and
   * period), by e-mail, webhook and in the portal inbox.
   */
  sendTotals(period: string): { party: string; noticeId: string; created: boolean }[] {
    const t = this.totals(period);
    const byParty = new Map<string, TotalsLine[]>();
    for (const l of t.lines) byParty.set(l.party, [...(byParty.get(l.party) ?? []), l]);
    const out: { party: string; noticeId: string; created: boolean }[] = [];
    for (const [party, lines] of byParty) {
      const p = this.d.portal.get(party);
      if (!p || p.status === 'suspended') continue;
      const text =
        `Use totals for ${period} (${t.from} to ${t.to}), counted from the main site's signed log up to checkpoint ${t.checkpoint?.size ?? 0} (${t.checkpoint?.time ?? '-'}):\n\n` +
        lines
          .map(
            (l) =>
              `- ${l.pageTitle}${l.contributionTitle ? ` / ${l.contributionTitle}` : ''}: ${l.sales} sale(s), ${l.refunds} refund(s)${l.role === 'planner' ? `, ${formatMoney({ amount: l.amount, currency: l.currency })} sold` : ''}, ${l.views} view(s), ${l.downloads} download(s)`,
          )
          .join('\n') +
        '\n';
      const { notice, created } = this.store.transaction(() => {
        const r = this.d.notices.send({
          recipient: { party },
          kind: 'planned_totals',
          subject: `Use totals, ${period}`,
          text,
          data: { period, checkpoint: t.checkpoint, lines },
          dedupeKey: `planned:totals:${party}:${period}`,
        });
        this.store.recordTotalsSent(party, period, r.notice.id, t.checkpoint?.size ?? null, now());
        return r;
      });
      out.push({ party, noticeId: notice.id, created });
    }
    return out;
  }

  /** The job: once a period has ended, its totals go out (once per party, whatever the job's retries). */
  closePeriod(at = new Date()): ReturnType<PlannedService['sendTotals']> {
    const prev = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
    return this.sendTotals(periodOf(prev));
  }

  applications(status?: Application['status']): Application[] {
    return this.store.applications(status);
  }

  planners(): Planner[] {
    return this.store.planners();
  }

  contractAt(planner: string): ContractView | undefined {
    return this.d.shares.contractAt(planner, now());
  }

  /** Parses a CarriedBy for forms ("all", "none", or a comma list). */
  static carriedByFromText(s: string): CarriedBy {
    const t = s.trim();
    if (t === '' || t === 'all') return 'all';
    if (t === 'none') return 'none';
    return t
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  }
  static parseSpec(raw: unknown): PageSpec {
    return parse(pageSpec, raw);
  }
}
