import { ownLogSource, type LogSource, type LogSources } from '../../common/logs/index.js';
import { witnessName } from '../../common/logchain/note.js';
import type { SiteContext } from '../../common/site/context.js';
import type { Witness } from './witness.js';

/** A partner's log as the main site witnessed it: only what it accepted, checked and cosigned. */
function witnessedSource(ctx: SiteContext, witness: Witness, site: string): LogSource {
  return {
    site,
    label: 'partner, witnessed here',
    browse: (filter, page) => witness.store.browse(site, filter, page),
    entry: (index) => witness.store.entry(site, index),
    latestCheckpoint: () => {
      const cp = witness.store.latestCheckpoint(site);
      return cp ? { size: cp.size, root: cp.root, time: cp.time, note: cp.note, cosignature: cp.cosignature, witness: witnessName(ctx.config.siteId) } : undefined;
    },
    inclusionProof: (index, size) => witness.tree(site).inclusionProof(index, size),
  };
}

/** The logs the main site's console browses: its own, and each partner's as witnessed (the same partners as the logs overview). */
export function mainLogSources(ctx: SiteContext, witness: Witness): LogSources {
  const own = ownLogSource(ctx, 'this site');
  return {
    own: ctx.config.siteId,
    list: () => [
      own,
      ...ctx.peers
        .list()
        .filter((p) => p.role === 'partner')
        .map((p) => witnessedSource(ctx, witness, p.id)),
    ],
  };
}
