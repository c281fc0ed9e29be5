import type { z } from 'zod';
import type { SiteContext } from '../../../common/site/context.js';
import type { paidRankingsAnswer } from '../../../common/protocol/index.js';
import { saleStatus, type ReleasedItem } from '../../../common/paid/index.js';
import type { RankingsStore, SlotSales } from './rankings-store.js';

type RankingsAnswer = z.input<typeof paidRankingsAnswer>;

export interface RankingLine {
  rank: number;
  item: string;
  category: string;
  accesses: number;
}

/** An item flagged for replacement, with the numbers the rule read. */
export interface ReplacementFlag {
  item: string;
  title: string;
  category: string;
  /** Accesses in the latest window and in the window before it. */
  current: number;
  previous: number;
  low: boolean;
  falling: boolean;
}

export interface Candidate {
  item: string;
  sales: number;
  amount: number;
}

/** The banner of one partner in one slot, and the numbers behind the choice. */
export interface BannerChoice {
  weekday: number;
  start: number;
  item: string;
  basis: 'slot' | 'partner' | 'rankings';
  sales: number;
  amount: number;
  /** The candidates the choice was made among, best first (at most five). */
  candidates: Candidate[];
}

export interface RankingsSnapshot {
  generatedAt: string;
  windowDays: number;
  slotMinutes: 30 | 60;
  lookbackDays: number;
  /** Every released item with at least one access in the window, best first. */
  all: RankingLine[];
  overall: RankingLine[];
  categories: { category: string; lines: RankingLine[] }[];
  flags: ReplacementFlag[];
  sales: SlotSales[];
  items: Map<string, ReleasedItem>;
}

const DAY = 86400_000;
export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
export const slotLabel = (weekday: number, start: number, minutes: number) => `${WEEKDAYS[weekday]} ${hhmm(start)}-${hhmm(start + minutes)} UTC`;

/** Most accesses first; equal accesses by item id (so a tie always ranks the same way). */
const byAccesses = (a: { item: string; accesses: number }, b: { item: string; accesses: number }) => b.accesses - a.accesses || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0);
/** Most sales first, then the larger amount (minor units), then item id. */
const bySales = (a: Candidate, b: Candidate) => b.sales - a.sales || b.amount - a.amount || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0);
const numbered = <T extends { item: string; category: string; accesses: number }>(lines: T[], size: number): RankingLine[] =>
  lines.slice(0, size).map((l, i) => ({ rank: i + 1, item: l.item, category: l.category, accesses: l.accesses }));

/**
 * Rankings by accesses (overall and per category), the banner each partner
 * shows on its home per weekday and time slot, and the items flagged for
 * replacement: all computed from the key and subscription records, kept as
 * one snapshot and computed again every `paidRankingRefreshSeconds`.
 */
export class PaidRankings {
  private snap: RankingsSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly bannerCache = new Map<string, BannerChoice[]>();

  constructor(
    private readonly ctx: SiteContext,
    private readonly store: RankingsStore,
    private readonly items: () => Map<string, ReleasedItem>,
  ) {}

  /** Computes everything again as of `now`. */
  refresh(now = new Date()): RankingsSnapshot {
    const c = this.ctx.config;
    const t = now.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const w = c.paidRankingWindowDays * DAY;
    const current = this.store.accesses(iso(t - w), iso(t));
    const previous = this.store.accesses(iso(t - 2 * w), iso(t - w));
    const items = this.items();
    const all = [...items.values()]
      .map(({ item }) => ({ item: item.id, category: item.category, accesses: current.get(item.id) ?? 0 }))
      .filter((l) => l.accesses > 0)
      .sort(byAccesses);
    const categories = [...new Set(all.map((l) => l.category))].sort().map((category) => ({
      category,
      lines: numbered(
        all.filter((l) => l.category === category),
        c.paidRankingSize,
      ),
    }));
    const flags: ReplacementFlag[] = [];
    for (const { item } of items.values()) {
      const cur = current.get(item.id) ?? 0;
      const prev = previous.get(item.id) ?? 0;
      const low = cur < c.paidLowAccesses;
      // Integer arithmetic: "fell by at least N %" is (prev - cur) * 100 >= prev * N.
      const falling = prev > 0 && (prev - cur) * 100 >= prev * c.paidFallingPercent;
      if (low || falling) flags.push({ item: item.id, title: item.title, category: item.category, current: cur, previous: prev, low, falling });
    }
    flags.sort((a, b) => a.current - b.current || (a.item < b.item ? -1 : 1));
    const sales = this.store.slotSales(iso(t - c.paidBannerLookbackDays * DAY), iso(t), c.paidBannerSlotMinutes);
    this.bannerCache.clear();
    this.snap = {
      generatedAt: now.toISOString(),
      windowDays: c.paidRankingWindowDays,
      slotMinutes: c.paidBannerSlotMinutes,
      lookbackDays: c.paidBannerLookbackDays,
      all: numbered(all, all.length),
      overall: numbered(all, c.paidRankingSize),
      categories,
      flags,
      sales,
      items,
    };
    this.ctx.logger.debug({ event: 'paid_rankings_refreshed', ranked: all.length, flagged: flags.length }, 'paid rankings refreshed');
    return this.snap;
  }

  /** The latest snapshot (computed now if there is none yet). */
  snapshot(): RankingsSnapshot {
    return this.snap ?? this.refresh();
  }

  /**
   * The banner for every weekday and slot of one partner. Among the items
   * this partner may sell now: the one with the most sales to its members in
   * that slot over the lookback (basis `slot`); with no sale in the slot, the
   * one with the most sales to its members over the whole lookback
   * (`partner`); with none at all, the first of the access ranking
   * (`rankings`). Ties: more sales, then the larger amount, then item id.
   */
  banners(partner: string): BannerChoice[] {
    const snap = this.snapshot();
    const now = new Date(snap.generatedAt);
    const cached = this.bannerCache.get(partner);
    if (cached) return cached;
    const sellable = new Set([...snap.items.values()].filter(({ item }) => saleStatus(item, partner, now) === 'yes').map(({ item }) => item.id));
    const mine = snap.sales.filter((s) => s.partner === partner && sellable.has(s.item));
    const totals = new Map<string, Candidate>();
    const bySlot = new Map<string, Candidate[]>();
    for (const s of mine) {
      const t = totals.get(s.item) ?? { item: s.item, sales: 0, amount: 0 };
      t.sales += s.sales;
      t.amount += s.amount;
      totals.set(s.item, t);
      const k = `${s.weekday}/${s.start}`;
      bySlot.set(k, [...(bySlot.get(k) ?? []), { item: s.item, sales: s.sales, amount: s.amount }]);
    }
    const overallSales = [...totals.values()].sort(bySales);
    const topRanked = snap.all.find((l) => sellable.has(l.item));
    const out: BannerChoice[] = [];
    for (let weekday = 0; weekday < 7; weekday++) {
      for (let start = 0; start < 1440; start += snap.slotMinutes) {
        const inSlot = (bySlot.get(`${weekday}/${start}`) ?? []).sort(bySales);
        if (inSlot.length) out.push({ weekday, start, item: inSlot[0]!.item, basis: 'slot', sales: inSlot[0]!.sales, amount: inSlot[0]!.amount, candidates: inSlot.slice(0, 5) });
        else if (overallSales.length)
          out.push({ weekday, start, item: overallSales[0]!.item, basis: 'partner', sales: overallSales[0]!.sales, amount: overallSales[0]!.amount, candidates: overallSales.slice(0, 5) });
        else if (topRanked) out.push({ weekday, start, item: topRanked.item, basis: 'rankings', sales: 0, amount: 0, candidates: [] });
      }
    }
    this.bannerCache.set(partner, out);
    return out;
  }

  /** The banner for a partner at a moment: its slot's choice. */
  bannerAt(partner: string, at: Date): BannerChoice | undefined {
    const slot = this.snapshot().slotMinutes;
    const start = Math.floor((at.getUTCHours() * 60 + at.getUTCMinutes()) / slot) * slot;
    return this.banners(partner).find((b) => b.weekday === at.getUTCDay() && b.start === start);
  }

  /** What a partner fetches: the rankings of the items it is listed for (ranked among them) and its own banners. */
  forPartner(partner: string): RankingsAnswer {
    const snap = this.snapshot();
    const c = this.ctx.config;
    // Listed at all (an early or later start date still shows the item's entry page there).
    const listed = (id: string) => {
      const r = snap.items.get(id);
      return r !== undefined && saleStatus(r.item, partner, new Date(8.64e15)) !== 'not_listed';
    };
    const mine = snap.all.filter((l) => listed(l.item));
    const categories = [...new Set(mine.map((l) => l.category))].sort().map((category) => ({
      category,
      lines: numbered(
        mine.filter((l) => l.category === category),
        c.paidRankingSize,
      ),
    }));
    return {
      generatedAt: snap.generatedAt,
      windowDays: snap.windowDays,
      overall: numbered(mine, c.paidRankingSize),
      categories: categories.slice(0, 100),
      slotMinutes: snap.slotMinutes,
      banners: this.banners(partner).map((b) => ({ weekday: b.weekday, start: b.start, item: b.item, basis: b.basis, sales: b.sales })),
    };
  }

  /** The replacement rule's thresholds, as configured. */
  rule(): { low: number; fallingPercent: number } {
    return { low: this.ctx.config.paidLowAccesses, fallingPercent: this.ctx.config.paidFallingPercent };
  }

  start(): void {
    if (this.timer) return;
    this.refresh();
    this.timer = setInterval(() => {
      try {
        this.refresh();
      } catch (err) {
        this.ctx.logger.error({ event: 'paid_rankings_failed', err }, 'paid rankings could not be computed; the last ones stay');
      }
    }, this.ctx.config.paidRankingRefreshSeconds * 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
