import type { SiteContext } from '../site/context.js';
import type { LogSource } from './log-source.js';

/**
 * A site's own log as a browsable source: entries from its store, proofs from
 * its in-memory tree, the latest checkpoint it signed, and the cosignature the
 * witness sent back for that very checkpoint, when it has one.
 */
export function ownLogSource(ctx: SiteContext, label: string): LogSource {
  return {
    site: ctx.config.siteId,
    label,
    browse: (filter, page) => ctx.logStore.browse(filter, page),
    entry: (index) => ctx.logStore.entry(index),
    latestCheckpoint: () => {
      const cp = ctx.logStore.latestCheckpoint();
      if (!cp) return undefined;
      const cos = ctx.logStore.latestCosignature();
      const mine = cos && cos.size === cp.size ? cos : undefined;
      return { size: cp.size, root: cp.root, time: cp.time, note: cp.note, cosignature: mine?.line ?? null, witness: mine?.witness ?? null };
    },
    inclusionProof: (index, size) => ctx.log.inclusionProof(index, size),
  };
}
