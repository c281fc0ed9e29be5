import { peerRefusal } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import { PAID_RECONCILIATION, PAID_STATEMENT_SUBMIT } from '../../common/protocol/index.js';
import { monthBounds, type StatementLine } from '../../common/paid/index.js';
import { partnerPaidErrors } from './errors.js';
import type { PartnerPaidStore } from './paid-store.js';

/**
 * This partner's sales statements: built from its own charges (the same ones
 * its log holds, up to a checkpoint signed for the purpose) or uploaded as CSV
 * from its billing system, and submitted to the main site, which answers with
 * the reconciliation both consoles show.
 */
export class PartnerReconcile {
  constructor(
    private readonly ctx: SiteContext,
    private readonly store: PartnerPaidStore,
  ) {}

  private mainId(): string {
    const main = this.ctx.peers.main();
    if (!main) throw partnerPaidErrors.main_unreachable();
    return main.id;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const refused = peerRefusal(err);
      if (refused) throw refused;
      throw partnerPaidErrors.main_unreachable();
    }
  }

  /** The month's lines from this site's records, and the checkpoint of its log they are covered by. */
  fromRecords(period: string): { lines: StatementLine[]; currency: string; checkpoint: { size: number; root: string } } {
    const { from, to } = monthBounds(period);
    const charges = this.store.chargesBetween(from, to);
    this.ctx.log.flush();
    const size = this.ctx.log.size;
    if (size > 0) this.ctx.log.checkpoint(size);
    return {
      lines: charges.map((c) => ({ item: c.item, user: c.userId, at: c.createdAt, amount: c.amount })),
      currency: charges[0]?.currency ?? 'EUR',
      checkpoint: { size, root: size ? this.ctx.log.root(size).toString('hex') : '' },
    };
  }

  /** Submits the month's statement from this site's own records. */
  submitFromRecords(period: string) {
    const s = this.fromRecords(period);
    return this.guard(
      async () => (await this.ctx.client.send(this.mainId(), PAID_STATEMENT_SUBMIT, { period, currency: s.currency, source: 'records', lines: s.lines, checkpoint: s.checkpoint })).body,
    );
  }

  /** Submits lines uploaded as CSV (a corrected statement, or one from another billing system). */
  submitLines(period: string, currency: string, lines: StatementLine[]) {
    return this.guard(async () => (await this.ctx.client.send(this.mainId(), PAID_STATEMENT_SUBMIT, { period, currency, source: 'csv', lines, checkpoint: null })).body);
  }

  /** The main site's reconciliation of this partner's latest statement for the month. */
  reconciliation(period: string) {
    return this.guard(async () => (await this.ctx.client.send(this.mainId(), PAID_RECONCILIATION, { period })).body);
  }
}
