import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import { adDefinition, adPathOf, leaseSize, pointsCharge, type AdDefinition, type ChoiceRecord } from '../../common/ads/index.js';
import type { AdsExchangeAnswer, AdsExchangeRequest, AdsPointsAnswer } from '../../common/protocol/index.js';
import { formatMoney } from '../../common/money.js';
import type { NoticeService } from '../notices/index.js';
import type { PortalService } from '../portal/index.js';
import { adsErrors } from './errors.js';
import { AdsStore, type AdRow, type AdState, type LeaseRow, type PaymentRow, type PointsLot } from './ads-store.js';

const currency = z.string().regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code');
const amount = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** What the operator (console, API, CLI) writes to commission an ad. */
export const newAdSchema = z.strictObject({
  advertiser: z.string().regex(/^p-[0-9a-f]{12}$/, 'the advertiser is a party id (p- and 12 hex digits)'),
  ad: adDefinition,
  variant: z.enum(['stop', 'grace']).default('stop'),
  graceSeconds: z
    .int()
    .min(0)
    .max(90 * 86400)
    .default(0),
  /** One payment buys this many deliveries (the paid delivery count) for this price. */
  paidCount: z.int().min(1).max(100_000_000),
  price: z.strictObject({ amount, currency }),
});
export type NewAd = z.input<typeof newAdSchema>;

export const paymentSchema = z.strictObject({
  /** The payment's id at the payer or bank: a retry carries the same one. */
  payment: z.string().regex(/^[A-Za-z0-9_.:-]{4,80}$/, 'a payment id is 4-80 letters, digits, ".", ":", "-" or "_"'),
  ad: z.string().max(64),
  /** Deliveries bought (default: the ad's paid count). */
  count: z.int().min(1).max(100_000_000).optional(),
  // A payment of nothing buys nothing: a price may be 0 (a house ad), a payment may not.
  amount: z.int().min(1, 'a payment is more than 0').max(Number.MAX_SAFE_INTEGER),
  currency,
});
export type PaymentInput = z.input<typeof paymentSchema>;

/** Where a choice was made, for the operator's console. */
export interface SiteChoice extends ChoiceRecord {
  site: string;
}

export interface PointsAccount {
  balance: number;
  earned: (PointsLot & { left: number; expired: boolean })[];
  spent: { ref: string; points: number; reason: string; spentAt: string }[];
}

const LIVE: readonly AdState[] = ['active', 'grace'];
const MAX_HELD = 500;

/**
 * Ads at the main site: commissioning, payments and the state machine (seed
 * 004 claims 5-7: awaiting payment -> active -> suspended at the paid count
 * with one re-payment request -> active on payment; grace and prepayment), and
 * the quota allocator every site's holder exchanges with (docs/ads.md).
 *
 * The allocator's one rule: an ad's reserved total (open and lapsed leases at
 * their full size, closed ones at what was used) never exceeds what is paid
 * for. A lease's unused part goes back only when its holder reports it closed;
 * time alone never frees quota, so a holder that went silent can never have
 * its units handed to another site while it may still serve them.
 */
export class AdsService {
  private readonly wanting = new Map<string, Map<string, number>>();
  /** When each serving site last exchanged: the sites that may still ask for a newly paid ad. */
  private readonly serving = new Map<string, number>();
  /** Per ad, the paid total of its current cycle and when that cycle's first lease was granted: its warm-up starts then. */
  private readonly cycleOpened = new Map<string, { paidTotal: number; at: number }>();
  private readonly choiceLog: SiteChoice[] = [];
  private timer: NodeJS.Timeout | undefined;
  /**
   * Every shopper who may have points (a superset: a shopper leaves it when a
   * balance is read as 0). Paid content's key issue asks it first, so a
   * shopper without points costs no query per key.
   */
  private readonly mayHavePoints: Set<string>;

  constructor(
    private readonly ctx: SiteContext,
    readonly store: AdsStore,
    private readonly notices: NoticeService,
    private readonly portal: PortalService,
    private readonly userExists: (id: string) => boolean,
  ) {
    this.mayHavePoints = new Set(store.usersWithUnexpiredPoints(new Date().toISOString()));
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  ad(id: string): AdRow {
    const a = this.store.ad(id);
    if (!a) throw adsErrors.ad_not_found(`there is no ad ${id}`);
    return a;
  }

  list(filter: { advertiser?: string; state?: AdState } = {}): AdRow[] {
    return this.store.ads(filter);
  }

  /** Commissions an ad and sends its advertiser the payment request (state awaiting_payment). */
  create(input: unknown, by: string): AdRow {
    const p = newAdSchema.safeParse(input);
    if (!p.success) throw adsErrors.invalid_request(p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const n = p.data;
    const party = this.portal.get(n.advertiser);
    if (!party || party.kind !== 'advertiser') throw adsErrors.advertiser_unknown();
    if (this.store.ad(n.ad.id)) throw adsErrors.ad_exists();
    const at = new Date().toISOString();
    this.store.tx(() => {
      this.store.insertAd({ id: n.ad.id, advertiser: n.advertiser, definition: n.ad, variant: n.variant, graceSeconds: n.graceSeconds, countPerPayment: n.paidCount, price: n.price, at });
      this.store.addEvent({
        ad: n.ad.id,
        at,
        kind: 'commissioned',
        detail: `by ${by}: ${n.paidCount} deliveries for ${formatMoney({ amount: n.price.amount, currency: n.price.currency })}, ${n.variant === 'grace' ? `grace ${n.graceSeconds} s` : 'stop at the paid count'}`,
      });
      const notice = this.requestPayment(this.store.ad(n.ad.id)!, 'first');
      this.store.setState(n.ad.id, { state: 'awaiting_payment' }, at);
      this.store.addEvent({ ad: n.ad.id, at, kind: 'payment_requested', detail: `payment request for the first ${n.paidCount} deliveries`, notice });
    });
    return this.ad(n.ad.id);
  }

  /**
   * Records a payment (operator or signed webhook), once per payment id: it
   * adds its count to what is paid for. An ad awaiting payment, suspended,
   * stopped or in grace becomes active and its count starts again (SC = 0: the
   * payment buys its count from now; deliveries made in grace beyond the old
   * count are not billed to it). An active ad paid in advance (prepayment)
   * just runs on, its count extended.
   */
  pay(input: unknown, source: 'operator' | 'webhook', by: string): { payment: PaymentRow; ad: AdRow; replayed: boolean } {
    const p = paymentSchema.safeParse(input);
    if (!p.success) throw adsErrors.invalid_request(p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const b = p.data;
    return this.store.tx(() => {
      const a = this.ad(b.ad);
      const count = b.count ?? a.countPerPayment;
      const had = this.store.payment(b.payment);
      if (had) {
        if (had.ad !== b.ad || had.count !== count || had.amount !== b.amount || had.currency !== b.currency) throw adsErrors.payment_conflict();
        return { payment: had, ad: a, replayed: true };
      }
      if (a.state === 'withdrawn') throw adsErrors.not_payable();
      if (b.currency !== a.price.currency) throw adsErrors.currency_mismatch(`this ad is priced in ${a.price.currency}`);
      const at = new Date().toISOString();
      const payment: PaymentRow = { id: b.payment, ad: a.id, count, amount: b.amount, currency: b.currency, source, recordedBy: by.slice(0, 100), recordedAt: at, stateBefore: a.state };
      this.store.insertPayment(payment);
      const paidTotal = a.paidTotal + count;
      if (a.state === 'active') {
        this.store.setState(a.id, { state: 'active', paidTotal }, at);
        this.store.addEvent({
          ad: a.id,
          at,
          kind: 'prepaid',
          detail: `${count} more deliveries paid before the count was reached (${formatMoney({ amount: b.amount, currency: b.currency })}, ${source}); now ${paidTotal} paid in total`,
        });
      } else {
        // SC returns to 0 (seed 【0081】): the payment buys `count` deliveries from now; what grace delivered beyond the old count is the grace's.
        const base = Math.max(a.paidTotal, a.delivered);
        this.store.setState(a.id, { state: 'active', paidTotal: base + count, cycleStart: base, graceUntil: null }, at);
        this.store.addEvent({
          ad: a.id,
          at,
          kind: 'paid',
          detail: `paid ${formatMoney({ amount: b.amount, currency: b.currency })} for ${count} deliveries (${source}, by ${by}); active again, count reset`,
        });
      }
      const notice = this.notices.send({
        recipient: { party: a.advertiser },
        kind: 'ad_payment_received',
        subject: `Payment received: ${a.definition.title}`,
        text: `We recorded your payment ${b.payment} of ${formatMoney({ amount: b.amount, currency: b.currency })} for ${count} deliveries of "${a.definition.title}" (${a.id}). The ad is running.`,
        data: { ad: a.id, payment: b.payment, count, amount: b.amount, currency: b.currency },
        dedupeKey: `ads:${a.id}:paid:${b.payment}`,
      }).notice.id;
      this.store.addEvent({ ad: a.id, at, kind: 'payment_confirmed', detail: `confirmation of payment ${b.payment} sent`, notice });
      this.settle(a.id, at);
      return { payment, ad: this.ad(a.id), replayed: false };
    });
  }

  /** The operator takes an ad off every site for good (no more leases; holders return theirs). */
  withdraw(id: string, by: string): AdRow {
    const at = new Date().toISOString();
    this.store.tx(() => {
      this.ad(id);
      this.store.setState(id, { state: 'withdrawn' }, at);
      this.store.addEvent({ ad: id, at, kind: 'withdrawn', detail: `by ${by}` });
    });
    this.cycleOpened.delete(id);
    return this.ad(id);
  }

  /**
   * One exchange with a serving site (its own holder, or a partner over s2s):
   * apply its reports (only its own leases), then grant what it wants within
   * what is paid for, and answer the ads it may show.
   */
  exchange(site: string, req: AdsExchangeRequest): AdsExchangeAnswer {
    const now = Date.now();
    const at = new Date(now).toISOString();
    for (const c of req.choices) this.rememberChoice({ ...c, site });
    return this.store.tx(() => {
      // Exchanges of one site are sequential; a copy that arrives after a later one (a retried or delayed request) would list an old set of leases.
      if (!this.store.advanceSite(site, req.seq)) throw adsErrors.stale_exchange();
      this.serving.set(site, now);
      const settled: string[] = [];
      const touched = new Set<string>();
      for (const r of req.reports) {
        const l = this.store.lease(r.lease);
        if (!l) {
          settled.push(r.lease);
          continue;
        }
        // Another site's lease: nothing it says can touch it.
        if (l.site !== site) continue;
        if (l.state === 'closed') {
          settled.push(l.id);
          continue;
        }
        // `used` only grows and never passes the lease's size, whatever the holder says.
        const used = Math.min(l.size, Math.max(l.used, r.used));
        if (used !== l.used || r.close) {
          this.store.reportLease(l, used, r.close, at);
          touched.add(l.ad);
        }
        if (r.close) settled.push(l.id);
      }
      // The holder lists every lease it holds (docs/ads.md): a lease of this site it does not list never reached
      // its store (the answer that carried it was lost, or the site died before storing it), so nothing was
      // served from it beyond what was reported; it is closed at that, and its rest goes back to the pool.
      const listed = new Set(req.reports.map((r) => r.lease));
      for (const l of this.store.heldBy(site)) {
        if (listed.has(l.id)) continue;
        this.store.reportLease(l, l.used, true, at);
        touched.add(l.ad);
      }
      for (const ad of touched) this.settle(ad, at);
      const leases: AdsExchangeAnswer['leases'] = [];
      for (const w of req.wants) {
        const g = this.grant(site, w.ad, w.rate, now);
        if (g) leases.push(g);
      }
      const ads = this.store
        .ads()
        .filter((a) => LIVE.includes(a.state) && (!a.definition.target.sites.length || a.definition.target.sites.includes(site)))
        .map((a) => a.definition);
      return { ads, leases, settled };
    });
  }

  private grant(site: string, adId: string, rate: number, now: number): AdsExchangeAnswer['leases'][number] | undefined {
    const a = this.store.ad(adId);
    if (!a || !LIVE.includes(a.state)) return undefined;
    if (a.definition.target.sites.length && !a.definition.target.sites.includes(site)) return undefined;
    const c = this.ctx.config;
    // Recorded before anything is refused: a site that asked while the rest was leased to others still
    // counts as wanting the ad when quota comes back, so the site that held it cannot take all again
    // (the demo: north held 12 of what was left while south, asking, got nothing for 16 pages).
    const asked = this.wanting.get(adId) ?? new Map<string, number>();
    this.wanting.set(adId, asked);
    asked.set(site, now);
    for (const [s, t] of asked) if (now - t > 3 * c.adsExchangeMs + 1000) asked.delete(s);
    let ttl = c.adsLeaseTtlMs;
    let available: number;
    if (a.state === 'active') available = a.paidTotal - a.reserved;
    else {
      // Grace: delivery goes on without a count until grace_until, so no lease may outlive it.
      ttl = Math.min(ttl, Date.parse(a.graceUntil ?? '') - now);
      available = ttl >= 1 ? c.adsLeaseMax : 0;
    }
    if (available <= 0) return undefined;
    // Bounded: a site lists every lease it holds in each exchange (the request allows 1000).
    if (this.store.heldBy(site).length >= MAX_HELD) return undefined;
    const sites = new Set([...asked.keys(), ...this.store.holders(adId), site]);
    // Warm-up of a newly paid count: the other sites learn of the ad at their next exchange and ask at
    // the one after, so the first asker (the main site's own holder, a direct call) would otherwise take
    // all of a small count before they could. While the window lasts, every site that exchanged lately
    // and may show the ad counts as wanting it; after it, only those that asked (idle quota flows back).
    const window = 3 * c.adsExchangeMs + 1000;
    // One entry per ad (a payment raises the paid total and opens a new cycle), so the map is bounded by the ads.
    let cycle = this.cycleOpened.get(adId);
    if (cycle?.paidTotal !== a.paidTotal) {
      cycle = { paidTotal: a.paidTotal, at: now };
      this.cycleOpened.set(adId, cycle);
    }
    if (now - cycle.at < window) {
      for (const [s, t] of this.serving) if (now - t <= window && (!a.definition.target.sites.length || a.definition.target.sites.includes(s))) sites.add(s);
    }
    const size = leaseSize({ rate, available, sitesWanting: sites.size, leaseSeconds: c.adsLeaseSeconds, initial: c.adsLeaseInitial, max: c.adsLeaseMax });
    if (size <= 0) return undefined;
    const id = `L${randomBytes(12).toString('base64url')}`;
    this.store.insertLease({ id, ad: adId, site, size, grantedAt: new Date(now).toISOString(), expiresAt: new Date(now + ttl).toISOString() });
    return { id, ad: adId, size, ttlMs: ttl };
  }

  /** The state machine's count step: at the paid count, suspend (or enter grace) and send the re-payment request, once per paid total. */
  private settle(adId: string, at: string): void {
    const a = this.store.ad(adId);
    if (!a || a.state !== 'active' || a.paidTotal <= 0 || a.delivered < a.paidTotal) return;
    const notice = this.requestPayment(a, 'again');
    if (a.variant === 'grace' && a.graceSeconds > 0) {
      const until = new Date(Date.parse(at) + a.graceSeconds * 1000).toISOString();
      this.store.setState(a.id, { state: 'grace', graceUntil: until }, at);
      this.store.addEvent({ ad: a.id, at, kind: 'grace', detail: `paid count reached at ${a.delivered} delivered; re-payment requested; delivering on until ${until}`, notice });
    } else {
      this.store.setState(a.id, { state: 'suspended' }, at);
      this.store.addEvent({
        ad: a.id,
        at,
        kind: 'suspended',
        detail: `paid count reached: ${a.delivered - a.cycleStart} of ${a.paidTotal - a.cycleStart} delivered in this cycle (${a.delivered} in all); re-payment requested`,
        notice,
      });
    }
  }

  private requestPayment(a: AdRow, which: 'first' | 'again'): string {
    const price = formatMoney({ amount: a.price.amount, currency: a.price.currency });
    const again = which === 'again';
    return this.notices.send({
      recipient: { party: a.advertiser },
      kind: again ? 'ad_repayment_request' : 'ad_payment_request',
      subject: again ? `Re-payment request: ${a.definition.title}` : `Payment request: ${a.definition.title}`,
      text: again
        ? `Your ad "${a.definition.title}" (${a.id}) has been delivered ${a.delivered - a.cycleStart} times, the count you paid for. ${a.variant === 'grace' && a.graceSeconds > 0 ? `It keeps running for ${a.graceSeconds} seconds; if unpaid by then it stops.` : 'It is stopped until you pay again.'} To deliver it ${a.countPerPayment} more times, please pay ${price}, quoting ${a.id}.`
        : `Your ad "${a.definition.title}" (${a.id}) is commissioned. To deliver it ${a.countPerPayment} times, please pay ${price}, quoting ${a.id}. It starts once the payment is recorded.`,
      data: { ad: a.id, count: a.countPerPayment, amount: a.price.amount, currency: a.price.currency, delivered: a.delivered, paidTotal: a.paidTotal },
      // One notice per paid total reached (the first request at 0): a restart, a replayed report or a second settle sends nothing more.
      dedupeKey: `ads:${a.id}:${again ? 'repay' : 'pay'}:${a.paidTotal}`,
    }).notice.id;
  }

  /** Periodic: leases past their time lapse (still reserved), grace periods that ended unpaid stop the ad. */
  tick(): void {
    const at = new Date().toISOString();
    try {
      this.store.tx(() => {
        this.store.lapseExpired(at);
        for (const id of this.store.graceOver(at)) {
          this.store.setState(id, { state: 'stopped', graceUntil: null }, at);
          this.store.addEvent({ ad: id, at, kind: 'stopped', detail: 'the grace period ended unpaid' });
        }
      });
    } catch (err) {
      this.ctx.logger.warn({ event: 'ads_tick_failed', err: err instanceof Error ? err.message : String(err) }, 'ads: housekeeping failed');
    }
  }

  private rememberChoice(c: SiteChoice): void {
    this.choiceLog.push(c);
    if (this.choiceLog.length > 500) this.choiceLog.splice(0, this.choiceLog.length - 500);
  }

  /** The latest choices reported by every site (the main site's own are added by the module). */
  reportedChoices(): SiteChoice[] {
    return [...this.choiceLog].reverse();
  }

  leases(filter: { ad?: string; site?: string; state?: LeaseRow['state'] } = {}): LeaseRow[] {
    return this.store.leases(filter);
  }

  /**
   * Credits a shopper the ad's viewing points for one delivery they opened, once
   * per shopper, ad and calendar month (UTC). The delivery must be one the
   * named site was granted: a lease of that site for that ad with the position
   * inside it. The credit is logged as an `ad_view` entry in the main site's log.
   */
  creditView(site: string, d: { ad: string; lease: string; seq: number; user: string }): { credited: boolean; points: number; balance: number; period: string } {
    const l = this.store.lease(d.lease);
    if (!l || l.site !== site || l.ad !== d.ad || d.seq > l.size) throw adsErrors.delivery_unknown();
    if (!this.userExists(d.user)) throw adsErrors.user_unknown();
    const a = this.ad(d.ad);
    const now = new Date();
    const period = now.toISOString().slice(0, 7);
    const expires = new Date(now.getTime() + this.ctx.config.adsPointsExpiryDays * 86_400_000).toISOString();
    const credited = this.store.creditPoints({ user: d.user, ad: d.ad, period, points: a.definition.points, site, lease: d.lease, seq: d.seq, earnedAt: now.toISOString(), expiresAt: expires });
    if (credited) {
      this.mayHavePoints.add(d.user);
      const index = this.ctx.log.append({
        time: now.toISOString(),
        site: this.ctx.config.siteId,
        type: 'ad_view',
        path: adPathOf(d.ad, d.lease, d.seq),
        kind: 'none',
        release: null,
        status: 200,
        bytes: 0,
        user: d.user.slice(0, 500),
        session: `${period}/${a.definition.points}`,
        client: null,
        ua: 'other',
        order: null,
      });
      this.store.setPointsLogIndex(d.user, d.ad, period, index);
    }
    return { credited, points: a.definition.points, balance: this.points(d.user).balance, period };
  }

  /** A shopper's points: what is left of each credit (spends use the oldest unexpired first), and the spends. */
  /** What a partner's account page shows of a shopper's points (ads.points over s2s): the newest 200 lots and spends. */
  pointsFor(user: string): AdsPointsAnswer {
    if (!this.userExists(user)) throw adsErrors.user_unknown();
    const p = this.points(user);
    return {
      balance: p.balance,
      earned: p.earned.slice(-200).map((e) => ({ ad: e.ad, period: e.period, points: e.points, left: e.left, expired: e.expired, expiresAt: e.expiresAt })),
      spent: p.spent.slice(-200).map((x) => ({ points: x.points, reason: x.reason.slice(0, 200), spentAt: x.spentAt })),
    };
  }

  points(user: string, at = new Date()): PointsAccount {
    const lots = this.store.lots(user).map((l) => ({ ...l, left: l.points, expired: false }));
    const spent = this.store.spends(user);
    for (const s of spent) {
      let need = s.points;
      for (const l of lots) {
        if (need <= 0) break;
        if (l.earnedAt > s.spentAt || l.expiresAt <= s.spentAt) continue;
        const take = Math.min(l.left, need);
        l.left -= take;
        need -= take;
      }
    }
    const now = at.toISOString();
    for (const l of lots) l.expired = l.expiresAt <= now;
    return { balance: lots.filter((l) => !l.expired).reduce((n, l) => n + l.left, 0), earned: lots, spent };
  }

  /**
   * Charges a paid item priced at `pricePoints` points after the shopper's
   * viewing points: (CP - SP) x m, never below zero; the points used are spent
   * once per `ref` (a retry with the same ref spends nothing more).
   */
  redeem(user: string, ref: string, pricePoints: number, reason: string): { charge: number; pointsUsed: number; balance: number; replayed: boolean } {
    return this.store.tx(() => {
      const done = this.store.spends(user).find((s) => s.ref === ref);
      const m = this.ctx.config.adsPointValueMinor;
      if (done) return { charge: (pricePoints - done.points) * m, pointsUsed: done.points, balance: this.points(user).balance, replayed: true };
      const q = pointsCharge(pricePoints, this.points(user).balance, m);
      if (q.pointsUsed > 0) this.store.spend({ ref, user, points: q.pointsUsed, reason: reason.slice(0, 200), at: new Date().toISOString() });
      return { ...q, balance: this.points(user).balance, replayed: false };
    });
  }

  /** m: one point's value in minor units of the paid item's currency (docs/ads.md). */
  pointValueMinor(): number {
    return this.ctx.config.adsPointValueMinor;
  }

  /** A shopper's spendable points now; 0 without a query for a shopper known to have none. */
  spendable(user: string): number {
    if (!this.mayHavePoints.has(user)) return 0;
    const balance = this.points(user).balance;
    if (balance <= 0) this.mayHavePoints.delete(user);
    return balance;
  }

  /**
   * Spends points under `ref` inside the caller's transaction (paid content's
   * key issue: the spend commits or rolls back with the key). The caller
   * checked `spendable` in the same synchronous step; `ref` is unique, so a
   * spend can never be recorded twice.
   */
  spendWith(user: string, ref: string, points: number, reason: string, at: string): void {
    if (points <= 0) return;
    if (!this.store.spend({ ref, user, points, reason: reason.slice(0, 200), at })) throw new Error(`points already spent under ${ref}`);
  }

  /** The definitions the main site's own holder may show (the same rule as for partners). */
  definitionsFor(site: string): AdDefinition[] {
    return this.store
      .ads()
      .filter((a) => LIVE.includes(a.state) && (!a.definition.target.sites.length || a.definition.target.sites.includes(site)))
      .map((a) => a.definition);
  }
}
