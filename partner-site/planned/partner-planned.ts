import { AppError } from '../../common/errors.js';
import { PLANNED_DELIVERY, PLANNED_ORDER_PLACE, type RequestInput, type ResponseOutput } from '../../common/protocol/index.js';
import { peerRefusal, type SendArgs } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { ContentView } from '../../common/render/content-view.js';
import type { Db } from '../../common/store/sqlite.js';
import { orderReceipt, saleData, saleFile, type Bill, type Delivered, type OrderReceipt, type PlannedBackend, type SaleData, type SaleItem } from '../../common/planned/index.js';
import { partnerPlannedErrors } from './errors.js';

/** The partner's copies of its forwarded orders; SQL lives only here. */
export class PartnerPlannedStore {
  constructor(private readonly db: Db) {}
  save(user: string, r: OrderReceipt): void {
    this.db
      .prepare('INSERT INTO planned_orders (id, user_id, receipt, state, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET receipt = excluded.receipt, state = excluded.state')
      .run(r.id, user, JSON.stringify(r), r.state, r.createdAt);
  }
  ofUser(user: string): OrderReceipt[] {
    const rows = this.db.prepare('SELECT receipt FROM planned_orders WHERE user_id = ? ORDER BY created_at DESC').all(user) as { receipt: string }[];
    return rows.map((x) => orderReceipt.parse(JSON.parse(x.receipt)));
  }
}

type Endpoint = typeof PLANNED_ORDER_PLACE | typeof PLANNED_DELIVERY;

/**
 * Planned pages on a partner: the pages arrive as tie-up pages in releases,
 * with their sale data; orders are forwarded to the main site in the common
 * order format (claim 8) and what was bought is delivered by the main site,
 * which logs every access.
 */
export class PartnerPlanned implements PlannedBackend {
  constructor(
    private readonly ctx: SiteContext,
    readonly store: PartnerPlannedStore,
    private readonly view: () => ContentView,
  ) {}

  /** Sale data read from the active release, per page; dropped when another release is served. */
  private sales: { release: unknown; byPage: Map<string, SaleData | undefined> } = { release: undefined, byPage: new Map() };

  /**
   * The page's sale data from the active release, or undefined. Read once per
   * release: every anonymous view of a planned page asks (carries), and reading,
   * hashing and parsing the file each time cost about 8% of a partner's CPU
   * under load (bench:planned, node --cpu-prof).
   */
  sale(page: string): SaleData | undefined {
    const release = this.view().release;
    if (this.sales.release !== release) this.sales = { release, byPage: new Map() };
    if (this.sales.byPage.has(page)) return this.sales.byPage.get(page);
    const e = release?.manifest.find((x) => x.path === saleFile(page));
    const data = e ? release!.read(e.sha256) : null;
    let found: SaleData | undefined;
    if (data) {
      const r = saleData.safeParse(JSON.parse(data.toString('utf8')));
      found = r.success ? r.data : undefined;
    }
    // Only pages of the release are remembered (a page id from a URL is anyone's choice), and a damaged
    // file (null from the verified read) is not: it is read again, and refused again, until repaired.
    if (e && data) this.sales.byPage.set(page, found);
    return found;
  }

  /** Whether the planner's contract lets this partner carry the page (a page without sale data is not a planned page here). */
  carries(page: string): boolean {
    const s = this.sale(page);
    return !s || s.partners === 'all' || s.partners.includes(this.ctx.config.siteId);
  }

  bill(page: string, item: SaleItem): Bill {
    const s = this.sale(page);
    if (!s) throw partnerPlannedErrors.page_not_found();
    if (s.partners !== 'all' && !s.partners.includes(this.ctx.config.siteId)) throw partnerPlannedErrors.not_for_sale();
    let itemTitle = s.title;
    let price = s.pagePrice;
    if (item.kind === 'contribution') {
      const c = s.contributions.find((x) => x.id === item.id);
      if (!c) throw partnerPlannedErrors.contribution_not_found();
      itemTitle = c.title;
      price = s.contributionPrice;
    } else if (!s.contributions.length) throw partnerPlannedErrors.not_for_sale('this page has no contributions yet');
    if (price === null) throw partnerPlannedErrors.not_for_sale(item.kind === 'page' ? 'this page is not sold whole' : 'contributions of this page are not sold one by one');
    return { page: s.page, pageTitle: s.title, planner: { id: s.planner.id, name: s.planner.name }, item, itemTitle, price: { amount: price, currency: s.currency }, formats: s.formats };
  }

  async place(user: string, b: Bill, idempotencyKey: string): Promise<OrderReceipt> {
    const r = await this.call(PLANNED_ORDER_PLACE, { idempotencyKey, user, planner: b.planner.id, page: b.page, items: [b.item], price: b.price });
    this.store.save(user, r);
    return r;
  }

  async deliver(user: string, order: string, format: Delivered['receipt']['formats'][number] | 'file', contribution: string | undefined): Promise<Delivered> {
    if (!this.store.ofUser(user).some((o) => o.id === order)) throw partnerPlannedErrors.order_not_found();
    const d = await this.call(PLANNED_DELIVERY, { user, order, format, ...(contribution ? { contribution } : {}) });
    this.store.save(user, d.receipt);
    return { receipt: d.receipt, fileName: d.fileName, contentType: d.contentType, inline: d.inline, data: Buffer.from(d.data, 'base64') };
  }

  orders(user: string): OrderReceipt[] {
    return this.store.ofUser(user);
  }

  private async call<E extends Endpoint>(endpoint: E, body: RequestInput<E>): Promise<ResponseOutput<E>> {
    const main = this.ctx.peers.main();
    if (!main) throw partnerPlannedErrors.main_unreachable();
    try {
      // Neither path has parameters; the generic E hides that from SendArgs.
      return (await this.ctx.client.send(main.id, endpoint, body, ...([] as unknown as SendArgs<E>))).body;
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      if (err instanceof AppError && err.expose) throw err;
      this.ctx.logger.warn({ event: 'planned_main_unreachable', endpoint: endpoint.name, reason: (err as Error).message }, 'the main site did not answer a planned-page call');
      throw partnerPlannedErrors.main_unreachable();
    }
  }
}
