import { PEER_HELLO_BACK } from '../../common/protocol/index.js';
import { S2SCallError } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import { helloPeer } from '../../common/site/peer-protocol.js';
import type { HelloResult } from '../../common/store/peer-store.js';

export interface PairResult extends Partial<HelloResult> {
  from: string;
  to: string;
  ok: boolean;
  skipped?: boolean;
}

/**
 * Both directions for every partner: main -> partner by our own hello, and
 * partner -> main by asking the partner (authenticated) to hello us back.
 */
export async function checkAllPairs(ctx: SiteContext): Promise<{ ok: boolean; pairs: PairResult[] }> {
  const self = ctx.config.siteId;
  const pairs: PairResult[] = [];
  for (const p of ctx.peers.list().filter((x) => x.role === 'partner')) {
    if (p.status !== 'active') {
      pairs.push({ from: self, to: p.id, ok: true, skipped: true, message: `partner is ${p.status}` });
      continue;
    }
    pairs.push({ from: self, to: p.id, ...(await helloPeer(ctx, p.id)) });
    try {
      const r = await ctx.client.send(p.id, PEER_HELLO_BACK, {});
      pairs.push({ from: p.id, to: self, ...r.body });
    } catch (err) {
      if (!(err instanceof S2SCallError)) throw err;
      const skewMs = typeof err.details?.skewMs === 'number' ? Math.round(err.details.skewMs) : undefined;
      pairs.push({ from: p.id, to: self, ok: false, code: err.code, message: err.message, at: new Date().toISOString(), ...(skewMs === undefined ? {} : { skewMs }) });
    }
  }
  return { ok: pairs.every((x) => x.ok), pairs };
}
