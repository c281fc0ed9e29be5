import { PAID_RANKINGS, type ResponseOutput } from '../../common/protocol/index.js';
import type { SiteContext } from '../../common/site/context.js';

export type RankingsCopy = ResponseOutput<typeof PAID_RANKINGS>;
export type BannerSlot = RankingsCopy['banners'][number];

/**
 * A partner's copy of its rankings and banners, fetched from the main site
 * every `paidRankingFetchSeconds` and kept in memory: pages read the copy and
 * never wait for the main site. When the main site does not answer, the last
 * copy stays (a fresh start shows no block until the first answer).
 */
export class PartnerRankings {
  private copy: RankingsCopy | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<RankingsCopy | null> | null = null;

  constructor(private readonly ctx: SiteContext) {}

  current(): RankingsCopy | null {
    return this.copy;
  }

  /** Fetches a new copy now; resolves to the copy kept (the old one when the main site did not answer). */
  refresh(): Promise<RankingsCopy | null> {
    this.inFlight ??= this.fetch().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async fetch(): Promise<RankingsCopy | null> {
    const main = this.ctx.peers.main();
    if (!main) return this.copy;
    try {
      this.copy = (await this.ctx.client.send(main.id, PAID_RANKINGS, undefined)).body;
    } catch (err) {
      this.ctx.logger.warn({ event: 'paid_rankings_unreachable', reason: (err as Error).message }, 'rankings could not be fetched from the main site; the last copy stays');
    }
    return this.copy;
  }

  /** The banner of the slot `at` falls in (weekday and time of day, UTC), if the copy has one. */
  bannerAt(at: Date): BannerSlot | undefined {
    const c = this.copy;
    if (!c) return undefined;
    const start = Math.floor((at.getUTCHours() * 60 + at.getUTCMinutes()) / c.slotMinutes) * c.slotMinutes;
    return c.banners.find((b) => b.weekday === at.getUTCDay() && b.start === start);
  }

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.ctx.config.paidRankingFetchSeconds * 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
