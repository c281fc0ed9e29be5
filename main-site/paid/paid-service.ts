import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { z } from 'zod';
import type { SiteContext } from '../../common/site/context.js';
import type { ContentView } from '../../common/render/content-view.js';
import type { paidKeyAnswer, paidKeyRequest, paidSubscribeRequest, paidSubscriptionAnswer } from '../../common/protocol/index.js';
import { truncateAddress, uaClass, type EntryFields } from '../../common/logchain/entry.js';
import {
  ageOn,
  canonicalAddress,
  itemsOfRelease,
  newKeyId,
  periodEnd,
  saleStatus,
  sameClient,
  signAccessKey,
  verifyAccessKey,
  type AccessKeyClaims,
  type PaidItem,
  type ReleasedItem,
} from '../../common/paid/index.js';
import type { UserService } from '../users/index.js';
import { paidErrors } from './errors.js';
import type { KeyRecord, PaidStore, RevocationRecord, RevocationScope, SubscriptionRecord } from './paid-store.js';

type KeyRequest = z.output<typeof paidKeyRequest>;
type KeyAnswer = z.input<typeof paidKeyAnswer>;
type SubscribeRequest = z.output<typeof paidSubscribeRequest>;
type SubscriptionAnswer = z.input<typeof paidSubscriptionAnswer>;

/** Why a paid page was refused; each has its own status and page. */
export type RefusalReason = 'invalid' | 'wrong_item' | 'window_passed' | 'expired' | 'other_address' | 'revoked';
export const REFUSAL_STATUS: Record<RefusalReason, number> = { invalid: 403, wrong_item: 403, window_passed: 410, expired: 410, other_address: 403, revoked: 403 };

/** What the check remembers of one key, so later pages cost a map lookup and a few comparisons. */
interface KeyState {
  claims: AccessKeyClaims;
  iatMs: number;
  expMs: number;
  /** The address the key is bound to (null until its first use). */
  bound: string | null;
  /** The last raw address that matched the binding (saves parsing it again on every page). */
  lastGood: string | null;
}

/** Viewing points (main-site/ads) as the key issue spends them; absent on a site without ads. */
export interface PointsPort {
  spendable(user: string): number;
  pointValueMinor(): number;
  spendWith(user: string, ref: string, points: number, reason: string, at: string): void;
}

export type CheckResult = { ok: true; claims: AccessKeyClaims; item: ReleasedItem } | { ok: false; reason: RefusalReason; claims: AccessKeyClaims | undefined };

const MAX_CACHED_KEYS = 100_000;
/** A group commit of issued keys waits at most this many event-loop turns, or for this many keys (see scheduleCommit). */
const COMMIT_MAX_TURNS = 4;
const COMMIT_MAX_KEYS = 256;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const userItemKey = (partner: string, user: string, item: string) => `${partner}\n${user}\n${item}`;

/**
 * Paid content at the main site: items from the current release, access keys
 * issued to partners with their charges, subscriptions, revocations, and the
 * check every paid page passes.
 */
export class PaidService {
  private itemsOf: { root: string | null; items: Map<string, ReleasedItem>; problems: string[] } = { root: '-', items: new Map(), problems: [] };
  private readonly states = new Map<string, KeyState>();
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly revokedKeys = new Set<string>();
  private readonly revokedUserItem = new Map<string, number[]>();
  private readonly revokedPartner = new Map<string, number[]>();

  constructor(
    private readonly ctx: SiteContext,
    readonly store: PaidStore,
    private readonly users: UserService,
    readonly view: () => ContentView,
    private readonly points?: PointsPort,
  ) {
    for (const r of store.revocations()) this.remember(r);
  }

  /** The paid items of the current release (read again when the release changes). */
  items(): Map<string, ReleasedItem> {
    const v = this.view();
    const root = v.release?.root ?? null;
    if (this.itemsOf.root !== root) {
      const r = v.release ? itemsOfRelease(v.release.manifest, (h) => v.release!.read(h)) : { items: new Map<string, ReleasedItem>(), problems: [] };
      if (r.problems.length) this.ctx.logger.warn({ event: 'paid_items_unreadable', problems: r.problems }, 'some paid items cannot be read and are not offered');
      this.itemsOf = { root, ...r };
    }
    return this.itemsOf.items;
  }

  itemProblems(): string[] {
    this.items();
    return this.itemsOf.problems;
  }

  private item(id: string): PaidItem {
    const r = this.items().get(id);
    if (!r) throw paidErrors.item_not_found(`there is no paid item ${id}`);
    return r.item;
  }

  private checkSale(item: PaidItem, partner: string, now: Date): void {
    const s = saleStatus(item, partner, now);
    if (s === 'not_listed') throw paidErrors.not_for_sale();
    if (s === 'not_yet') {
      const from = item.partners !== 'all' ? item.partners.find((p) => p.id === partner)?.from : undefined;
      throw paidErrors.not_yet_on_sale(`this partner may sell ${item.id} from ${from ?? 'a later date'}`, { from });
    }
  }

  private checkShopper(item: PaidItem, user: string, now: Date): void {
    const birth = this.users.birthDate(user);
    if (birth === undefined) throw paidErrors.user_unknown();
    if (item.minimumAge === undefined) return;
    if (birth === null) throw paidErrors.birth_date_missing(undefined, { minimumAge: item.minimumAge });
    if (ageOn(birth, now) < item.minimumAge) throw paidErrors.age_restricted(`this item is for shoppers aged ${item.minimumAge} or over`, { minimumAge: item.minimumAge });
  }

  /** Keys issued but not yet committed, by partner and idempotency key; each waits for the next group commit. */
  private readonly pending = new Map<string, { rec: KeyRecord; done: Promise<void> }>();
  private batch: PendingKey[] = [];

  /**
   * Issues a key, exactly once per (partner, idempotency key): the key row
   * with its charge is committed, then its `key_issued` entry is appended to
   * the signed log, and only then does the partner get its answer. A retry
   * with the same idempotency key gets the same key back and charges nothing;
   * a refusal writes nothing. A per-access key of a shopper with viewing
   * points is charged the price less the points' value, and the points are
   * spent in the transaction that commits the key (see `applyPoints`).
   *
   * Keys asked for at the same moment share one SQLite transaction (a group
   * commit, like the log's): each key still commits with its charge, in one
   * row, before it is answered, and a commit costs one write instead of one
   * per key (see docs/paid-content.md).
   */
  async issueKey(partner: string, req: KeyRequest): Promise<KeyAnswer> {
    const now = new Date();
    const requestHash = sha256(JSON.stringify([req.user, req.item, req.clientAddress]));
    const slot = `${partner}\n${req.idempotencyKey}`;
    const waiting = this.pending.get(slot);
    const earlier = waiting?.rec ?? this.store.keyByIdempotency(partner, req.idempotencyKey);
    if (earlier) {
      if (earlier.requestHash !== requestHash) throw paidErrors.idempotency_key_reused();
      await waiting?.done;
      return keyAnswer(earlier, true);
    }
    const item = this.item(req.item);
    this.checkSale(item, partner, now);
    this.checkShopper(item, req.user, now);
    const iat = Math.floor(now.getTime() / 1000);
    let exp = iat + this.ctx.config.paidKeyLifetimeSeconds;
    let amount = 0;
    let subscriptionId: string | null = null;
    if (item.charge.type === 'per_access') {
      amount = item.charge.price.amount;
    } else {
      const sub = this.store.subscriptionCovering(partner, req.user, item.id, now.toISOString());
      if (!sub) {
        const last = this.store.latestSubscription(partner, req.user, item.id);
        if (last) throw paidErrors.subscription_over(`the subscription ended at ${last.periodEnd}`, { endedAt: last.periodEnd });
        throw paidErrors.subscription_missing();
      }
      // A period item's key lives to the end of the period it was paid for, never beyond.
      exp = Math.floor(Date.parse(sub.periodEnd) / 1000);
      subscriptionId = sub.id;
    }
    const address = canonicalAddress(req.clientAddress) ?? null;
    const claims: AccessKeyClaims = { jti: newKeyId(), iss: this.ctx.config.siteId, ptn: partner, sub: req.user, itm: item.id, iat, exp, adr: address };
    const rec: KeyRecord = {
      id: claims.jti,
      partner,
      userId: req.user,
      item: item.id,
      idempotencyKey: req.idempotencyKey,
      requestHash,
      token: signAccessKey(this.ctx.keyring().current, claims),
      address,
      issuedAt: new Date(iat * 1000).toISOString(),
      expiresAt: new Date(exp * 1000).toISOString(),
      chargeType: item.charge.type,
      amount,
      currency: item.charge.price.currency,
      subscriptionId,
      boundAddress: null,
      firstUsedAt: null,
    };
    // Checked (and frozen) now, so that once the row is committed its entry cannot be refused.
    const entry = this.ctx.log.types.seal(this.ctx.config.siteId, {
      time: now.toISOString(),
      site: this.ctx.config.siteId,
      type: 'key_issued',
      path: `/paid/${claims.jti}/${item.id}`,
      kind: 'none',
      release: null,
      status: 201,
      bytes: 0,
      user: `${partner}/${req.user}`,
      session: claims.jti,
      client: truncateAddress(address ?? undefined),
      ua: 'other',
      order: { id: claims.jti, amount, currency: rec.currency },
    });
    const done = new Promise<void>((resolve, reject) => {
      if (this.batch.length === 0) this.scheduleCommit();
      this.batch.push({ rec, entry, resolve, reject, spend: 0 });
    });
    this.pending.set(slot, { rec, done });
    try {
      await done;
    } finally {
      this.pending.delete(slot);
    }
    return keyAnswer(rec, false);
  }

  /**
   * When the group commits: at the end of the first turn of the event loop
   * that brought no new key, or after COMMIT_MAX_TURNS turns. A turn holds only
   * the requests whose bytes arrived in its poll (about 10 of the 32 in flight
   * in bench:paid), and every commit writes the touched pages of the key
   * table's indexes again, so a commit per turn cost about 90 us of CPU per key
   * (commit and log append, node --cpu-prof); carrying the keys of three turns
   * (about 29) brought it to about 41 us. An idle loop turns in microseconds, so
   * a lone key waits for nothing.
   */
  private scheduleCommit(): void {
    let turns = 0;
    let seen = 0;
    const turn = () => {
      turns++;
      if (this.batch.length > seen && turns < COMMIT_MAX_TURNS && this.batch.length < COMMIT_MAX_KEYS) {
        seen = this.batch.length;
        setImmediate(turn);
      } else this.commitKeys();
    };
    setImmediate(turn);
  }

  /** One transaction for the keys waiting, then their log entries in the same order, then their answers. */
  private commitKeys(): void {
    const batch = this.batch;
    this.batch = [];
    const log = this.ctx.log;
    const at = new Date().toISOString();
    try {
      this.applyPoints(batch);
      // Asked first: a key whose entry the log would refuse must not be issued.
      if (!log.hasRoomFor(batch.length)) throw new Error('the access log cannot take the key_issued entries (its writes are failing)');
      // The keys and their key_issued entries commit in one SQLite transaction:
      // one step, and one commit instead of two. Should the log's own write fail
      // inside it, the log keeps the entries queued, in order, and retries them
      // (site-log.ts); the keys stand, as they would have when logged after.
      this.store.insertKeys(
        batch.map((b) => b.rec),
        () => {
          for (const b of batch) if (b.spend > 0) this.points!.spendWith(b.rec.userId, `paid-key:${b.rec.id}`, b.spend, `paid item ${b.rec.item}`, at);
          for (const b of batch) log.append(b.entry);
          log.flush();
        },
      );
    } catch (err) {
      this.ctx.logger.error({ event: 'paid_keys_not_committed', keys: batch.length, err }, 'access keys could not be stored; none was issued');
      for (const b of batch) b.reject(err);
      return;
    }
    for (const b of batch) b.resolve();
    this.ctx.logger.debug({ event: 'paid_keys_issued', keys: batch.length }, 'access keys issued');
  }

  /**
   * Viewing points against the per-access keys of this commit (seed 【0038】:
   * (CP - SP) x m). m is a point's value in minor units of the item's own
   * currency (docs/ads.md), so a point is worth m in whatever currency the item
   * is priced; a point is never spent for less than its whole value, so the
   * charge stays a whole number of minor units and never goes below zero.
   * Runs in the same synchronous step as the commit that spends the points, so
   * no other spend can come between the balance read and the spend; keys of
   * the same shopper in one commit share the balance, oldest first.
   */
  private applyPoints(batch: PendingKey[]): void {
    const points = this.points;
    if (!points) return;
    const m = points.pointValueMinor();
    if (m <= 0) return;
    let left: Map<string, number> | undefined;
    for (const b of batch) {
      const r = b.rec;
      if (r.chargeType !== 'per_access' || r.amount < m) continue;
      left ??= new Map();
      let balance = left.get(r.userId);
      // The ads service answers 0 from memory for a shopper who has no points: no query on the hot path.
      if (balance === undefined) left.set(r.userId, (balance = points.spendable(r.userId)));
      const use = Math.min(balance, Math.floor(r.amount / m));
      if (use <= 0) continue;
      left.set(r.userId, balance - use);
      b.spend = use;
      r.amount -= use * m;
      // The entry was sealed with the full price; seal it again with what is charged.
      b.entry = this.ctx.log.types.seal(this.ctx.config.siteId, { ...b.entry, order: { id: r.id, amount: r.amount, currency: r.currency } });
    }
  }

  /** Registers a subscription period a partner charged its member for (idempotent on the partner's subscription id). */
  subscribe(partner: string, req: SubscribeRequest): SubscriptionAnswer {
    // Whole seconds: a period item's key carries its end in seconds, and must end exactly with the period.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    return this.store.transaction(() => {
      const earlier = this.store.subscription(partner, req.subscriptionId);
      if (earlier) {
        if (earlier.userId !== req.user || earlier.item !== req.item) throw paidErrors.idempotency_key_reused();
        return subAnswer(earlier, true);
      }
      const item = this.item(req.item);
      if (item.charge.type !== 'per_period') throw paidErrors.not_a_period_item();
      this.checkSale(item, partner, now);
      this.checkShopper(item, req.user, now);
      const current = this.store.subscriptionCovering(partner, req.user, item.id, now.toISOString());
      if (current && !current.cancelledAt) throw paidErrors.already_subscribed(`already subscribed until ${current.periodEnd}`, { periodEnd: current.periodEnd });
      const rec: Omit<SubscriptionRecord, 'cancelledAt'> = {
        partner,
        id: req.subscriptionId,
        userId: req.user,
        item: item.id,
        periodStart: now.toISOString(),
        periodEnd: periodEnd(now, item.charge.period).toISOString(),
        amount: item.charge.price.amount,
        currency: item.charge.price.currency,
        createdAt: now.toISOString(),
      };
      this.store.insertSubscription(rec);
      this.ctx.log.append({
        time: now.toISOString(),
        site: this.ctx.config.siteId,
        type: 'subscribed',
        path: `/paid/${item.id}`,
        kind: 'none',
        release: null,
        status: 201,
        bytes: 0,
        user: `${partner}/${req.user}`,
        session: req.subscriptionId,
        client: null,
        ua: 'other',
        order: { id: req.subscriptionId, amount: rec.amount, currency: rec.currency },
      });
      return subAnswer({ ...rec, cancelledAt: null }, false);
    });
  }

  /**
   * Ends a subscription: access runs to the end of the period already paid
   * for, and every key of that shopper and item issued before then is revoked
   * from that moment (their lifetimes end there too; the revocation makes it
   * hold even for a key issued under a later, renewed record).
   */
  unsubscribe(partner: string, subscriptionId: string): SubscriptionAnswer {
    const now = new Date().toISOString();
    const sub = this.store.subscription(partner, subscriptionId);
    if (!sub) throw paidErrors.subscription_not_found();
    if (sub.cancelledAt) return subAnswer(sub, true);
    this.store.transaction(() => {
      this.store.cancelSubscription(partner, subscriptionId, now);
      this.revoke({ scope: 'user_item', partner, userId: sub.userId, item: sub.item, effectiveAt: sub.periodEnd < now ? now : sub.periodEnd, reason: 'unsubscribed', by: partner });
      this.ctx.log.append({
        time: now,
        site: this.ctx.config.siteId,
        type: 'unsubscribed',
        path: `/paid/${sub.item}`,
        kind: 'none',
        release: null,
        status: 200,
        bytes: 0,
        user: `${partner}/${sub.userId}`,
        session: subscriptionId,
        client: null,
        ua: 'other',
        order: null,
      });
    });
    return subAnswer(this.store.subscription(partner, subscriptionId)!, false);
  }

  /** Revokes one key, a shopper's keys for an item, or all of a partner's keys issued before `effectiveAt` (default now); in force at once. */
  revoke(r: { scope: RevocationScope; keyId?: string; partner?: string; userId?: string; item?: string; effectiveAt?: string; reason: string; by: string }): RevocationRecord {
    if (r.scope === 'key' && !r.keyId) throw paidErrors.invalid_revocation('a key revocation names the key id');
    if (r.scope === 'user_item' && !(r.partner && r.userId && r.item)) throw paidErrors.invalid_revocation('a user and item revocation names the partner, the user and the item');
    if (r.scope === 'partner' && !r.partner) throw paidErrors.invalid_revocation('a partner revocation names the partner');
    if (r.scope === 'key' && !this.store.key(r.keyId!)) throw paidErrors.key_not_found(`there is no key ${r.keyId}`);
    // A typo must not read as done: the partner is enrolled, or keys were issued through it (a removed partner's keys can still be revoked).
    if (r.scope !== 'key' && !this.knowsPartner(r.partner!)) throw paidErrors.partner_not_found(`no such partner: ${r.partner}`);
    const rec: Omit<RevocationRecord, 'id'> = {
      scope: r.scope,
      keyId: r.scope === 'key' ? r.keyId! : null,
      partner: r.scope === 'key' ? null : r.partner!,
      userId: r.scope === 'user_item' ? r.userId! : null,
      item: r.scope === 'user_item' ? r.item! : null,
      effectiveAt: r.effectiveAt ?? new Date().toISOString(),
      reason: r.reason.slice(0, 500) || 'revoked',
      createdBy: r.by.slice(0, 100),
      createdAt: new Date().toISOString(),
    };
    const id = this.store.insertRevocation(rec);
    this.remember({ ...rec, id });
    this.ctx.logger.info({ event: 'paid_revoked', ...rec }, 'access keys revoked');
    return { ...rec, id };
  }

  /** A partner whose keys can be revoked: enrolled, or keys were issued through it (a removed partner's keys can still be revoked). */
  knowsPartner(partner: string): boolean {
    return partner !== '' && (this.ctx.peers.get(partner)?.role === 'partner' || this.store.keys({ partner, limit: 1 }).length > 0);
  }

  private remember(r: RevocationRecord): void {
    const at = Date.parse(r.effectiveAt);
    const add = (m: Map<string, number[]>, k: string) => m.set(k, [...(m.get(k) ?? []), at]);
    if (r.scope === 'key') this.revokedKeys.add(r.keyId!);
    else if (r.scope === 'user_item') add(this.revokedUserItem, userItemKey(r.partner!, r.userId!, r.item!));
    else add(this.revokedPartner, r.partner!);
  }

  private isRevoked(s: KeyState, now: number): boolean {
    if (this.revokedKeys.has(s.claims.jti)) return true;
    // A revocation at time T covers keys issued up to T, from T on.
    const hit = (list: number[] | undefined) => list !== undefined && list.some((t) => now >= t && s.iatMs <= t);
    return hit(this.revokedPartner.get(s.claims.ptn)) || hit(this.revokedUserItem.get(userItemKey(s.claims.ptn, s.claims.sub, s.claims.itm)));
  }

  private publicKey(kid: string): KeyObject | undefined {
    const k = this.ctx.keyring().get(kid);
    if (!k) return undefined;
    let pub = this.publicKeys.get(kid);
    if (!pub) this.publicKeys.set(kid, (pub = createPublicKey(k.privateKey)));
    return pub;
  }

  /**
   * The check every paid page passes: signature and kid, the item in the
   * path, revocation, lifetime, first use within the window (then bound to
   * that address), and the binding on every later page. The signature is
   * checked once per key; later pages are answered from memory.
   */
  check(token: string, itemId: string, address: string, now = Date.now()): CheckResult {
    let s = this.states.get(token);
    if (!s) {
      const claims = verifyAccessKey(token, (kid) => this.publicKey(kid), this.ctx.config.siteId);
      const rec = claims ? this.store.key(claims.jti) : undefined;
      // A key the store does not hold (or holds with another text) was never issued here.
      if (!claims || !rec || rec.token !== token) return { ok: false, reason: 'invalid', claims: undefined };
      s = { claims, iatMs: claims.iat * 1000, expMs: claims.exp * 1000, bound: rec.boundAddress, lastGood: null };
      if (this.states.size >= MAX_CACHED_KEYS) this.states.clear();
      this.states.set(token, s);
    }
    const claims = s.claims;
    const released = this.items().get(claims.itm);
    if (claims.itm !== itemId || !released) return { ok: false, reason: 'wrong_item', claims };
    if (this.isRevoked(s, now)) return { ok: false, reason: 'revoked', claims };
    if (now >= s.expMs) return { ok: false, reason: 'expired', claims };
    const policy = released.item.addressPolicy;
    if (s.bound === null) {
      if (now > s.iatMs + this.ctx.config.paidKeyWindowSeconds * 1000) return { ok: false, reason: 'window_passed', claims };
      // The partner saw the shopper's address: the first use must come from that client.
      if (claims.adr !== null && !sameClient(policy, claims.adr, address)) return { ok: false, reason: 'other_address', claims };
      const canonical = canonicalAddress(address) ?? address;
      if (this.store.bind(claims.jti, canonical, new Date(now).toISOString())) s.bound = canonical;
      else s.bound = this.store.key(claims.jti)?.boundAddress ?? canonical;
    }
    if (s.lastGood !== address) {
      if (!sameClient(policy, s.bound, address)) return { ok: false, reason: 'other_address', claims };
      s.lastGood = address;
    }
    return { ok: true, claims, item: released };
  }

  private readonly origins = new Map<string, string | null>();

  /** The selling partner's origin (for frame-ancestors), from memory; forgotten when peers change. */
  partnerOrigin(partner: string): string | null {
    let o = this.origins.get(partner);
    if (o === undefined) {
      const p = this.ctx.peers.get(partner);
      o = p && p.role === 'partner' ? new URL(p.baseUrl).origin : null;
      this.origins.set(partner, o);
    }
    return o;
  }

  peersChanged(): void {
    this.origins.clear();
  }

  /** Where the shopper goes back to open the item again: the selling partner's entry page, or null. */
  backLink(partner: string | undefined, item: string | undefined): string | null {
    if (!partner) return null;
    const p = this.ctx.peers.get(partner);
    if (!p || p.role !== 'partner') return null;
    return `${p.baseUrl.replace(/\/+$/, '')}/paid/${item ?? ''}`;
  }

  logPage(e: {
    type: 'paid_page' | 'paid_refused';
    keyId: string;
    item: string;
    rest: string;
    status: number;
    bytes: number;
    asset: boolean;
    claims: AccessKeyClaims | undefined;
    session: string;
    client: string | undefined;
    ua: string | undefined;
  }): void {
    this.ctx.log.append({
      time: new Date().toISOString(),
      site: this.ctx.config.siteId,
      type: e.type,
      path: `/paid/${e.keyId}/${e.item}${e.rest}`.slice(0, 500),
      kind: e.asset ? 'asset' : 'none',
      release: e.type === 'paid_page' ? (this.view().release?.number ?? null) : null,
      status: e.status,
      bytes: e.bytes,
      user: e.claims ? `${e.claims.ptn}/${e.claims.sub}` : null,
      session: e.session,
      client: truncateAddress(e.client),
      ua: uaClass(e.ua),
      order: null,
    });
  }
}

/** A key waiting for the next group commit; `spend` is the points its charge uses (set at commit). */
interface PendingKey {
  rec: KeyRecord;
  entry: EntryFields;
  resolve: () => void;
  reject: (err: unknown) => void;
  spend: number;
}

function keyAnswer(k: KeyRecord, replayed: boolean): KeyAnswer {
  return {
    key: k.token,
    keyId: k.id,
    item: k.item,
    path: `/paid/${k.token}/${k.item}/`,
    chargeType: k.chargeType,
    charge: { amount: k.amount, currency: k.currency },
    issuedAt: k.issuedAt,
    expiresAt: k.expiresAt,
    replayed,
  };
}

function subAnswer(s: SubscriptionRecord, replayed: boolean): SubscriptionAnswer {
  return {
    subscriptionId: s.id,
    item: s.item,
    user: s.userId,
    periodStart: s.periodStart,
    periodEnd: s.periodEnd,
    charge: { amount: s.amount, currency: s.currency },
    cancelledAt: s.cancelledAt,
    replayed,
  };
}
