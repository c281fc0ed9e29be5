import { shopperWording } from './shopper-wording.js';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../common/errors.js';
import { PAID_KEY_ISSUE, PAID_SUBSCRIBE, PAID_UNSUBSCRIBE, type RequestInput, type ResponseOutput } from '../../common/protocol/index.js';
import { peerRefusal, type SendArgs } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { ContentView } from '../../common/render/content-view.js';
import { truncateAddress, uaClass } from '../../common/logchain/entry.js';
import { itemsOfRelease, saleStatus, type ReleasedItem } from '../../common/paid/index.js';
import { partnerPaidErrors } from './errors.js';
import type { PartnerPaidStore, PartnerSubscription } from './paid-store.js';

type PaidEndpoint = typeof PAID_KEY_ISSUE | typeof PAID_SUBSCRIBE | typeof PAID_UNSUBSCRIBE;
export type KeyAnswer = ResponseOutput<typeof PAID_KEY_ISSUE>;

export const newIdempotencyKey = (): string => randomBytes(18).toString('base64url');

/**
 * Paid content on a partner: the items it may sell (from the release: their
 * definitions and free entry pages only), keys asked of the main site for its
 * logged-in members, and the charges it puts on their bills, each recorded
 * once in its store and its own signed log.
 */
export class PartnerPaid {
  private itemsOf: { root: string | null; items: Map<string, ReleasedItem> } = { root: '-', items: new Map() };

  constructor(
    private readonly ctx: SiteContext,
    readonly store: PartnerPaidStore,
    readonly view: () => ContentView,
  ) {}

  /** The items this partner may show: all it is listed for (a later start date shows the item, and the main site refuses keys until then). */
  items(): Map<string, ReleasedItem> {
    const v = this.view();
    const root = v.release?.root ?? null;
    if (this.itemsOf.root !== root) {
      const all = v.release ? itemsOfRelease(v.release.manifest, (h) => v.release!.read(h)).items : new Map<string, ReleasedItem>();
      const mine = new Map([...all].filter(([, r]) => saleStatus(r.item, this.ctx.config.siteId, new Date(8.64e15)) !== 'not_listed'));
      this.itemsOf = { root, items: mine };
    }
    return this.itemsOf.items;
  }

  item(id: string): ReleasedItem {
    const r = this.items().get(id);
    if (!r) throw partnerPaidErrors.item_not_found(`there is no paid item ${id} here`);
    return r;
  }

  mainBaseUrl(): string | undefined {
    return this.ctx.peers.main()?.baseUrl.replace(/\/+$/, '');
  }

  private async call<E extends PaidEndpoint>(endpoint: E, body: RequestInput<E>): Promise<ResponseOutput<E>> {
    const main = this.ctx.peers.main();
    if (!main) throw partnerPaidErrors.main_unreachable();
    try {
      // None of these paths has parameters; the generic E hides that from SendArgs.
      return (await this.ctx.client.send(main.id, endpoint, body, ...([] as unknown as SendArgs<E>))).body;
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      this.ctx.logger.warn({ event: 'paid_main_unreachable', endpoint: endpoint.name, reason: (err as Error).message }, 'the main site did not answer a paid-content call');
      throw partnerPaidErrors.main_unreachable();
    }
  }

  /**
   * Asks the main site for a key for a member (with the member's address as
   * this site saw it) and, for a per-access item, charges the member once per
   * issued key: a retried request (same idempotency key) gets the same key
   * back and its charge is recorded at most once here too. A refusal charges nothing.
   */
  async requestKey(userId: string, item: string, clientAddress: string, idempotencyKey: string, ua?: string, member?: Member): Promise<KeyAnswer> {
    this.item(item);
    const a = await this.call(PAID_KEY_ISSUE, { idempotencyKey, user: userId, item, clientAddress: clientAddress.slice(0, 64) });
    if (a.chargeType === 'per_access') this.charge({ id: a.keyId, kind: 'access', userId, item, amount: a.charge.amount, currency: a.charge.currency }, clientAddress, ua, member);
    return a;
  }

  /** Subscribes a member to a period item: registered at the main site first, then charged here once for the period. */
  async subscribe(userId: string, item: string, clientAddress: string, ua?: string, member?: Member): Promise<PartnerSubscription> {
    this.item(item);
    const a = await this.call(PAID_SUBSCRIBE, { subscriptionId: newIdempotencyKey(), user: userId, item });
    const sub: PartnerSubscription = { id: a.subscriptionId, userId, item, periodStart: a.periodStart, periodEnd: a.periodEnd, cancelledAt: a.cancelledAt };
    this.store.transaction(() => {
      this.store.saveSubscription(sub);
      this.charge({ id: a.subscriptionId, kind: 'period', userId, item, amount: a.charge.amount, currency: a.charge.currency }, clientAddress, ua, member);
    });
    return sub;
  }

  /** Ends a member's subscription: access runs to the end of the paid period; nothing is refunded. */
  async unsubscribe(userId: string, item: string): Promise<PartnerSubscription> {
    const sub = this.store.currentSubscription(userId, item, new Date().toISOString());
    if (!sub || sub.cancelledAt) throw partnerPaidErrors.not_subscribed();
    const a = await this.call(PAID_UNSUBSCRIBE, { subscriptionId: sub.id });
    const out = { ...sub, cancelledAt: a.cancelledAt };
    this.store.saveSubscription(out);
    return out;
  }

  currentSubscription(userId: string, item: string): PartnerSubscription | undefined {
    return this.store.currentSubscription(userId, item, new Date().toISOString());
  }

  private charge(
    c: { id: string; kind: 'access' | 'period'; userId: string; item: string; amount: number; currency: string },
    clientAddress: string,
    ua: string | undefined,
    member: Member | undefined,
  ): void {
    const now = new Date().toISOString();
    if (!this.store.recordCharge({ ...c, createdAt: now })) return;
    if (member) this.store.noteMember(c.userId, member);
    this.ctx.log.append({
      time: now,
      site: this.ctx.config.siteId,
      type: 'charge',
      path: `/paid/${c.item}`,
      kind: 'none',
      release: null,
      status: 201,
      bytes: 0,
      user: c.userId,
      session: c.id,
      client: truncateAddress(clientAddress),
      ua: uaClass(ua),
      order: { id: c.id, amount: c.amount, currency: c.currency },
    });
    this.ctx.logger.info({ event: 'paid_charge', ...c }, 'member charged for paid content');
  }
}

/** The member as their session names them: who the manager sees a charge is to. */
export interface Member {
  email: string;
  name: string;
}

/** A refusal the shopper reads (the main site's message), or undefined for one that is ours to hide. */
export function shopperMessage(err: unknown): { status: number; code: string; title: string; html: string } | undefined {
  if (!(err instanceof AppError && err.expose)) return undefined;
  return { status: err.status, code: err.code, ...shopperWording(err.code, err.details, err.message) };
}
