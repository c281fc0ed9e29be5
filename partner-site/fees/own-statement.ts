import { isPeriod } from '../../common/fees/engine.js';
import { FEES_STATEMENT, type ResponseOutput } from '../../common/protocol/index.js';
import type { SiteContext } from '../../common/site/context.js';
import { feesErrors } from './errors.js';

export const periodOrCurrent = (v: unknown): string => {
  if (v === undefined) return new Date().toISOString().slice(0, 7);
  if (!isPeriod(v)) throw feesErrors.invalid_request('period must be YYYY-MM');
  return v;
};

/** This partner's statement for a period, read from the main site over the authenticated channel. */
export async function ownStatement(ctx: SiteContext, period: string): Promise<ResponseOutput<typeof FEES_STATEMENT>> {
  const main = ctx.peers.main();
  if (!main) throw feesErrors.main_not_enrolled('no main site is enrolled');
  return (await ctx.client.send(main.id, FEES_STATEMENT, { period })).body;
}
