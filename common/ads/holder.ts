import type { Logger } from '../logger.js';
import type { SiteLog } from '../logchain/site-log.js';
import { truncateAddress, uaClass } from '../logchain/entry.js';
import type { AdsExchangeAnswer, AdsExchangeRequest } from '../protocol/ads.js';
import { chooseAd, type Choice, type SlotPage } from './choose.js';
import { signClick, verifyClick, type ClickClaims } from './click-token.js';
import type { AdDefinition } from './definition.js';
import type { HeldLease, HeldStore } from './held-store.js';
import { adPathOf, OWN_LEASE } from './log-entries.js';

/** A group commit of deliveries waits at most this many event-loop turns, or for this many deliveries (see scheduleCommit). */
const COMMIT_MAX_TURNS = 4;
const COMMIT_MAX_DELIVERIES = 256;

/** Deliveries per second below which a site no longer asks for an ad's quota (demand decays by half each exchange). */
const MIN_RATE = 0.05;

/** How a serving site talks to the main site's quota allocator: over s2s on a partner, a direct call on the main site. */
export interface LeaseChannel {
  exchange(req: AdsExchangeRequest): Promise<AdsExchangeAnswer>;
}

export interface HolderOptions {
  /** How often the site exchanges with the main site even when nothing runs low. */
  exchangeMs: number;
  /** Taken off every lease's time to live, for clocks that run at slightly different rates. */
  marginMs: number;
  /** A lease not served from for this long goes back to the main site (so idle quota flows to sites that need it). */
  idleMs: number;
  /** Ask for more when a lease has less than this many seconds of deliveries left at the site's rate. */
  lowWaterSeconds: number;
  /** How long a click link works. */
  clickTtlSeconds: number;
  /** How long a slot whose eligible ad has no quota here waits for an exchange (0: never). */
  starvedWaitMs: number;
}

/** One delivery: the ad, where it came from, and its click link (none for the site's own ads: no points, no lease). */
export interface Served {
  ad: AdDefinition;
  lease: string;
  seq: number;
  token: string | null;
  /** The serving site's own ad (lease "own"), not one of the main site's advertisers'. */
  own: boolean;
}

/** One of the site's own ads, for its manager's console. */
export interface OwnAdStatus {
  ad: AdDefinition;
  /** Deliveries so far: the last number given, each one an `ad` entry `/ads/<id>/own/<n>`. */
  deliveries: number;
  /** Why it is not served now (its id is one of the main site's current ads), or null. */
  refused: string | null;
}

type Who = { user: string | null; session: string | null; client: string | undefined; ua: string | undefined };

export interface ChoiceRecord {
  at: string;
  page: string;
  ad: string | null;
  reason: string;
}

interface LiveLease extends HeldLease {
  /** What is written in the store: never more than what was served, and what reports carry. */
  committed: number;
  /** What the main site last heard. */
  reported: number;
  lastServedMs: number;
}

interface Waiting {
  fields: Parameters<SiteLog['append']>[0];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The serving side of the quota protocol (docs/ads.md), on every site: the
 * leases this site holds, the choice of an ad for a slot, and the delivery.
 *
 * A delivery takes one unit of a live lease in memory (one thread: two
 * requests can never take the same unit), then waits for the group commit that
 * writes the lease's new `used` to the store, and only then is the ad shown and
 * its `ad` entry logged. So what this site has served from a lease is never
 * more than the store says, even if the process is killed at any instant; at
 * the next start the site reports exactly that and serves on from what is left.
 */
export class AdHolder {
  private ads: AdDefinition[] = [];
  /** The site's own ads (a partner's, from its files): served only when no main-site ad is chosen for a slot. */
  private own: AdDefinition[] = [];
  /** The last delivery number given per own ad, and what of it is written (the console's count). */
  private readonly ownSeq: Map<string, number>;
  private readonly ownCommitted: Map<string, number>;
  private readonly ownDirty = new Map<string, number>();
  private readonly leases = new Map<string, LiveLease>();
  private readonly dirty = new Map<string, number>();
  private waiting: Waiting[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private kicked = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly secret: Buffer;
  private readonly freq = new Map<string, number[]>();
  private readonly recent: ChoiceRecord[] = [];
  private unsent: ChoiceRecord[] = [];
  private readonly demand = new Map<string, number>();
  private readonly rates = new Map<string, number>();
  private rateSince = Date.now();
  private lastError = 0;
  private closed = false;

  constructor(
    readonly site: string,
    private readonly store: HeldStore,
    private readonly log: SiteLog,
    private readonly logger: Logger,
    private readonly channel: LeaseChannel,
    private readonly opts: HolderOptions,
  ) {
    this.secret = store.secret();
    this.ads = store.ads();
    this.ownSeq = store.ownSeqs();
    this.ownCommitted = new Map(this.ownSeq);
    for (const l of store.leases()) this.leases.set(l.id, { ...l, committed: l.used, reported: -1, lastServedMs: Date.now() });
  }

  start(): void {
    void this.exchange();
    this.timer = setInterval(() => void this.exchange(), this.opts.exchangeMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.scheduled) this.commitBatch();
    await this.inFlight?.catch(() => undefined);
  }

  /** The site's own ads from now on (a partner's manager's files, already checked). */
  setOwnAds(ads: readonly AdDefinition[]): void {
    this.own = [...ads];
  }

  /**
   * Chooses and delivers an ad for a slot on `page`, or undefined (none eligible, or the delivery could not be recorded).
   * The main site's advertisers' ads come first (they are paid for); the site's own only when none of them is chosen.
   */
  async serve(page: SlotPage, shopper: string, who: Who): Promise<Served | undefined> {
    let now = Date.now();
    const choose = () =>
      chooseAd(
        this.ads.map((ad) => ({ ad, available: this.available(ad.id, now) })),
        page,
        (ad) => this.capped(ad, shopper, now),
      );
    let choice = choose();
    let waited = false;
    if (!choice.ad && choice.starved.length && this.opts.starvedWaitMs > 0 && !this.closed) {
      // Eligible, but no quota held here (leases go back when idle): ask now and wait a little, never
      // longer than starvedWaitMs, so a page at a shopper's pace can still carry the ad. The demand
      // counted below makes the exchange ask for this ad.
      for (const id of choice.starved) this.demand.set(id, (this.demand.get(id) ?? 0) + 1);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.freshExchange(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.starvedWaitMs)))]);
      clearTimeout(timer);
      waited = true;
      now = Date.now();
      choice = choose();
    }
    let own: Choice | undefined;
    if (!choice.ad && this.own.length) {
      const mainIds = new Set(this.ads.map((a) => a.id));
      // Same target, keyword and frequency rules; no quota (an own ad is the site's to give), so `available` is only a placeholder.
      own = chooseAd(
        this.own.filter((a) => !mainIds.has(a.id)).map((ad) => ({ ad, available: 1 })),
        page,
        (ad) => this.capped(ad, shopper, now, true),
      );
    }
    const reason = own?.ad ? `own ad ${own.reason.split(';')[0]} (no main-site ad: ${choice.reason})` : choice.reason;
    this.remember({ at: new Date(now).toISOString(), page: page.path.slice(0, 300), ad: choice.ad?.id ?? own?.ad?.id ?? null, reason: reason.slice(0, 500) });
    if (!waited) for (const id of choice.starved) this.demand.set(id, (this.demand.get(id) ?? 0) + 1);
    if (choice.starved.length) this.kick();
    if (own?.ad) return this.serveOwn(own.ad, page, shopper, who, now);
    if (!choice.ad) return undefined;
    const lease = this.liveLease(choice.ad.id, now)!;
    lease.used += 1;
    lease.lastServedMs = now;
    const seq = lease.used;
    this.dirty.set(lease.id, lease.used);
    this.demand.set(choice.ad.id, (this.demand.get(choice.ad.id) ?? 0) + 1);
    this.countFor(choice.ad, shopper, now);
    const rate = this.rates.get(choice.ad.id) ?? 0;
    // What is left for the ad over all leases held, as the exchange's `wants` judges it: judged by the
    // current lease alone, a rate above a lease's size (adsLeaseMax) asked for an exchange on every serve.
    if (lease.size - lease.used <= 0 || this.available(choice.ad.id, now) <= Math.max(1, rate * this.opts.lowWaterSeconds)) this.kick();
    await this.commit(this.adFields(adPathOf(choice.ad.id, lease.id, seq), page, who, now));
    return { ad: choice.ad, lease: lease.id, seq, token: signClick(this.secret, { a: choice.ad.id, l: lease.id, s: seq }, this.opts.clickTtlSeconds), own: false };
  }

  /**
   * One delivery of the site's own ad: the next number for the ad (one thread: never given twice), written with the
   * group commit before the page goes out, exactly as a lease's units are, so a restart goes on after it.
   */
  private async serveOwn(ad: AdDefinition, page: SlotPage, shopper: string, who: Who, now: number): Promise<Served> {
    const seq = (this.ownSeq.get(ad.id) ?? 0) + 1;
    this.ownSeq.set(ad.id, seq);
    this.ownDirty.set(ad.id, seq);
    this.countFor(ad, shopper, now, true);
    await this.commit(this.adFields(adPathOf(ad.id, OWN_LEASE, seq), page, who, now));
    return { ad, lease: OWN_LEASE, seq, token: null, own: true };
  }

  private adFields(path: string, page: SlotPage, who: Who, now: number): Waiting['fields'] {
    return {
      time: new Date(now).toISOString(),
      site: this.site,
      type: 'ad',
      path,
      kind: 'none',
      release: null,
      status: 200,
      bytes: 0,
      user: who.user,
      session: page.path.slice(0, 500),
      client: truncateAddress(who.client),
      ua: uaClass(who.ua),
      order: null,
    };
  }

  /** A click link's delivery when the link is this site's, unexpired, and (with `consume`) opened for the first time. */
  openClick(
    token: string,
    consume: boolean,
  ): { ok: true; claims: ClickClaims; ad: AdDefinition | undefined } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'used'; ad: AdDefinition | undefined } {
    const claims = verifyClick(this.secret, token);
    if (!claims) return { ok: false, reason: 'invalid' };
    // A used link is still ours (its signature holds): the details may be shown again, the points are not credited again.
    if (consume && !this.store.openClick(claims.j)) return { ok: false, reason: 'used', ad: this.ads.find((a) => a.id === claims.a) };
    return { ok: true, claims, ad: this.ads.find((a) => a.id === claims.a) };
  }

  /** Leases, ads (the main site's and the site's own) and the latest choices, for consoles. */
  status(): { ads: AdDefinition[]; own: OwnAdStatus[]; leases: (HeldLease & { committed: number; reported: number })[]; choices: ChoiceRecord[] } {
    const mainIds = new Set(this.ads.map((a) => a.id));
    return {
      ads: [...this.ads],
      own: this.own.map((ad) => ({
        ad,
        deliveries: this.ownCommitted.get(ad.id) ?? 0,
        refused: mainIds.has(ad.id) ? `the main site runs an ad with the id ${ad.id}: not served (rename the file and its id)` : null,
      })),
      leases: [...this.leases.values()].map(({ lastServedMs: _l, ...l }) => l),
      choices: [...this.recent].reverse(),
    };
  }

  /** Exchanges with the main site now (one exchange at a time; a call during one runs another after it). */
  exchange(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.exchangeOnce()
      .catch((err: unknown) => {
        if (Date.now() - this.lastError > 10_000) {
          this.lastError = Date.now();
          this.logger.warn({ event: 'ads_exchange_failed', err: err instanceof Error ? err.message : String(err) }, 'ads: the exchange with the main site failed; serving from the leases held');
        }
      })
      .finally(() => {
        this.inFlight = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.exchange();
        }
      });
    return this.inFlight;
  }

  /** An exchange that starts after this call: one already under way was built before the caller's demand. */
  private async freshExchange(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      await this.inFlight;
    }
    await this.exchange();
  }

  /** Asks for an exchange soon: after the current task, so the serve that asked has queued its commit. */
  private kick(): void {
    if (this.closed || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (this.inFlight) this.again = true;
      else void this.exchange();
    });
  }

  private async exchangeOnce(): Promise<void> {
    // Counted from before the request leaves: the main site's clock for a lease starts later, so ours ends first.
    const sentAt = Date.now();
    // Whatever was taken from a lease is written before the report is built (a report of less than was served
    // would let the main site hand those units out again). A serve that asked for this exchange may not have
    // queued its own commit yet: its unit is in `dirty`, and written here.
    if (this.scheduled || this.dirty.size) this.commitBatch();
    const known = new Set(this.ads.map((a) => a.id));
    for (const l of this.leases.values()) {
      if (l.closing) continue;
      if (l.used >= l.size || sentAt >= l.deadlineMs || !known.has(l.ad) || sentAt - l.lastServedMs >= this.opts.idleMs) {
        l.closing = true;
        this.store.markClosing(l.id);
      }
    }
    // Every lease held is listed, changed or not: the main site closes any of ours we do not list (it never reached us).
    const reports = [...this.leases.values()].map((l) => ({ lease: l.id, used: l.committed, close: l.closing }));
    const elapsed = Math.max(0.05, (sentAt - this.rateSince) / 1000);
    for (const ad of this.ads) this.rates.set(ad.id, 0.5 * (this.rates.get(ad.id) ?? 0) + 0.5 * ((this.demand.get(ad.id) ?? 0) / elapsed));
    this.demand.clear();
    this.rateSince = sentAt;
    const wants = this.ads
      .filter((ad) => !ad.target.sites.length || ad.target.sites.includes(this.site))
      // Only ads this site had demand for lately (served, or eligible without quota here): a site without
      // traffic for an ad must not sit on its quota, or the last units of a count would wait on idle sites.
      .filter((ad) => (this.rates.get(ad.id) ?? 0) >= MIN_RATE && this.available(ad.id, sentAt) <= Math.max(1, (this.rates.get(ad.id) ?? 0) * this.opts.lowWaterSeconds))
      .slice(0, 200)
      .map((ad) => ({ ad: ad.id, rate: Math.round((this.rates.get(ad.id) ?? 0) * 1000) / 1000 }));
    const choices = this.unsent.slice(-20);
    this.unsent = [];
    const answer = await this.channel.exchange({ seq: this.store.nextExchange(), reports, wants, choices });
    for (const r of reports) {
      const l = this.leases.get(r.lease);
      if (l) l.reported = r.used;
    }
    const settled = answer.settled.filter((id) => this.leases.get(id)?.closing);
    this.store.dropLeases(settled);
    settled.forEach((id) => this.leases.delete(id));
    this.ads = answer.ads;
    this.store.replaceAds(answer.ads);
    for (const g of answer.leases) {
      const l: HeldLease = { id: g.id, ad: g.ad, size: g.size, used: 0, deadlineMs: sentAt + g.ttlMs - this.opts.marginMs, closing: false };
      this.store.addLease(l);
      if (!this.leases.has(l.id)) this.leases.set(l.id, { ...l, committed: 0, reported: 0, lastServedMs: Date.now() });
    }
  }

  private available(ad: string, now: number): number {
    let n = 0;
    for (const l of this.leases.values()) if (l.ad === ad && !l.closing && now < l.deadlineMs) n += l.size - l.used;
    return n;
  }

  private liveLease(ad: string, now: number): LiveLease | undefined {
    for (const l of this.leases.values()) if (l.ad === ad && !l.closing && now < l.deadlineMs && l.used < l.size) return l;
    return undefined;
  }

  /** An own ad's shoppers are counted apart (`own` in the key): never mixed with a main-site ad's of the same id. */
  private capped(ad: AdDefinition, shopper: string, now: number, own = false): boolean {
    const cap = ad.frequencyCap;
    if (!cap) return false;
    const seen = this.freq.get(`${own ? 'own\u0000' : ''}${ad.id}\u0000${shopper}`);
    if (!seen) return false;
    const from = now - cap.hours * 3_600_000;
    return seen.filter((t) => t > from).length >= cap.count;
  }

  private countFor(ad: AdDefinition, shopper: string, now: number, own = false): void {
    const cap = ad.frequencyCap;
    if (!cap) return;
    // Bounded memory: a site that sees more shoppers than this forgets the oldest window at once.
    if (this.freq.size > 200_000) this.freq.clear();
    const k = `${own ? 'own\u0000' : ''}${ad.id}\u0000${shopper}`;
    const from = now - cap.hours * 3_600_000;
    this.freq.set(k, [...(this.freq.get(k) ?? []).filter((t) => t > from), now].slice(-cap.count));
  }

  private remember(c: ChoiceRecord): void {
    this.recent.push(c);
    if (this.recent.length > 200) this.recent.shift();
    this.unsent.push(c);
    if (this.unsent.length > 20) this.unsent.shift();
  }

  private commit(fields: Waiting['fields']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ fields, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.scheduleCommit();
      }
    });
  }

  /**
   * The group commit runs at the end of the first event-loop turn that brought
   * no new delivery, or after COMMIT_MAX_TURNS turns (as the paid keys' does):
   * one turn holds only the requests whose bytes arrived in its poll, and a
   * commit per turn was most of what an ad slot cost (bench:ads). An idle loop
   * turns in microseconds, so a lone delivery waits for nothing.
   */
  private scheduleCommit(): void {
    let turns = 0;
    let seen = 0;
    const turn = () => {
      if (!this.scheduled) return; // an exchange committed the batch already
      turns++;
      if (this.waiting.length > seen && turns < COMMIT_MAX_TURNS && this.waiting.length < COMMIT_MAX_DELIVERIES) {
        seen = this.waiting.length;
        setImmediate(turn);
      } else this.commitBatch();
    };
    setImmediate(turn);
  }

  /** The group commit: the leases' `used` first (what makes a delivery sendable), then the batch's `ad` entries, flushed. */
  private commitBatch(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    const used = new Map(this.dirty);
    this.dirty.clear();
    const ownSeqs = new Map(this.ownDirty);
    this.ownDirty.clear();
    // The leases' `used` and the deliveries' `ad` entries commit in one SQLite
    // transaction (one commit instead of two). Should the log's own write fail
    // inside it, the log keeps the entries queued and retries them (site-log.ts);
    // `used` stands, which is the side that must never be short.
    const appendAll = () => {
      for (const w of batch) {
        try {
          this.log.append(w.fields);
        } catch (err) {
          this.logger.error({ event: 'ads_log_failed', err: err instanceof Error ? err.message : String(err) }, 'ads: a delivery could not be logged');
        }
      }
      this.log.flush();
    };
    try {
      this.store.recordUsed(used, appendAll, ownSeqs);
    } catch (err) {
      // Not written: these units are lost (never shown), the lease's store value stays lower than memory, which only under-delivers.
      // An own ad's numbers stay taken in memory (never given again here); the next commit writes a higher one.
      this.logger.error({ event: 'ads_record_failed', err: err instanceof Error ? err.message : String(err) }, 'ads: could not record deliveries; not shown');
      batch.forEach((w) => w.reject(err));
      return;
    }
    for (const [id, n] of used) {
      const l = this.leases.get(id);
      if (l && n > l.committed) l.committed = n;
    }
    for (const [ad, n] of ownSeqs) if (n > (this.ownCommitted.get(ad) ?? 0)) this.ownCommitted.set(ad, n);
    batch.forEach((w) => w.resolve());
  }
}
