import { LOGS_SHIP } from '../../common/protocol/index.js';
import { S2SCallError } from '../../common/s2s/client.js';
import type { SiteContext } from '../../common/site/context.js';
import type { LogStore } from '../../common/store/log-store.js';
import { isDiskFull, writeErrorCode } from '../../common/store/storage-health.js';

export interface ShipResult {
  shipped: number;
  acceptedSize: number;
  error?: string;
}

/**
 * Ships new entries of this partner's log to the main site, in batches, each
 * ending at a signed checkpoint, with a consistency proof from the size the main
 * site last accepted; stores the main site's cosignature. When the main site is
 * unreachable nothing is lost: the entries stay here and the next run ships the
 * backlog from where the main site stands.
 */
export async function shipLog(ctx: SiteContext, store: LogStore, maxBatches = 20): Promise<ShipResult> {
  try {
    return await shipBatches(ctx, store, maxBatches);
  } catch (err) {
    // Our own write failed (signing a checkpoint, recording the outcome): a full disk here
    // delays shipping and never stops the site; the next run starts over from the main site's size.
    const accepted = store.shipping().acceptedSize;
    const msg = isDiskFull(err) ? "this site's disk is full: cannot record the shipment; will retry" : `cannot ship: ${(err as Error).message}`;
    ctx.logger.warn({ event: 'log_ship_failed', reason: msg, code: writeErrorCode(err) }, 'log shipping failed; will retry');
    try {
      store.setShipping(accepted, false, msg);
    } catch {
      // The same full disk; the log line above says it.
    }
    return { shipped: 0, acceptedSize: accepted, error: msg };
  }
}

async function shipBatches(ctx: SiteContext, store: LogStore, maxBatches: number): Promise<ShipResult> {
  const found = ctx.peers.main();
  const main = found?.status === 'active' ? found : undefined;
  let accepted = store.shipping().acceptedSize;
  if (!main) return { shipped: 0, acceptedSize: accepted };
  // A full disk only delays: what is committed ships, the rest waits in the log's queue.
  ctx.log.flush();
  let shipped = 0;
  const resigned = new Set<number>();
  for (let n = 0; n < maxBatches; n++) {
    const size = ctx.log.size;
    if (size <= accepted) break;
    // Checkpoint times must grow with their sizes, so a batch ends at a checkpoint
    // the log already signed; only at the tail is a new one signed (the newest of all).
    // TIEUP_LOG_CHECKPOINT_ENTRIES <= TIEUP_LOG_SHIP_BATCH guarantees one per batch.
    const existing = store.checkpointAtMost(accepted + ctx.config.logShipBatch);
    let cp = existing && existing.size > accepted ? existing : size - accepted <= ctx.config.logShipBatch ? ctx.log.checkpoint(size)! : undefined;
    // One signed (by an older version) after the clock was stepped back is older than the
    // one the main site holds, and would be refused as a time regression forever: sign it again.
    const acceptedCp = accepted > 0 ? store.checkpointAtMost(accepted) : undefined;
    if (cp && acceptedCp?.size === accepted && cp.time < acceptedCp.time) {
      cp = ctx.log.resign(cp.size);
      resigned.add(cp.size);
    }
    if (!cp) {
      const msg = `no signed checkpoint between ${accepted} and ${accepted + ctx.config.logShipBatch}; TIEUP_LOG_CHECKPOINT_ENTRIES must not exceed TIEUP_LOG_SHIP_BATCH`;
      store.setShipping(accepted, false, msg);
      return { shipped, acceptedSize: accepted, error: msg };
    }
    const end = cp.size;
    const body = {
      from: accepted,
      entries: store.lines(accepted, end),
      checkpoint: cp.note,
      proof: accepted > 0 ? ctx.log.consistencyProof(accepted, end).map((h) => h.toString('hex')) : [],
      size: ctx.log.size,
    };
    try {
      const r = await ctx.client.send(main.id, LOGS_SHIP, body);
      store.addCosignature(r.body.acceptedSize, r.body.witness, r.body.cosignature);
      shipped += end - accepted;
      accepted = r.body.acceptedSize;
      store.setShipping(accepted, true, null);
    } catch (err) {
      const e = err as S2SCallError;
      if (e.details?.peerCode === 'time_regression' && !resigned.has(end)) {
        // The main site holds a later checkpoint time than this one (our clock went back, or a
        // stored checkpoint predates it): the same tree, signed again no earlier than any before.
        ctx.log.resign(end);
        resigned.add(end);
        continue;
      }
      const peerBody = (e.details?.body as { error?: { details?: { expected?: unknown } } } | undefined)?.error;
      if (e.details?.peerCode === 'size_mismatch' && Number.isSafeInteger(peerBody?.details?.expected)) {
        const expected = peerBody!.details!.expected as number;
        if (expected <= ctx.log.size) {
          // The main site stands elsewhere (a lost answer, a restore): continue from there.
          accepted = expected;
          store.setShipping(accepted, false, null);
          continue;
        }
        const msg = `the main site has accepted ${expected} entries but this log has only ${ctx.log.size}`;
        store.setShipping(accepted, false, msg);
        ctx.logger.error({ event: 'log_ship_failed', reason: msg }, msg);
        return { shipped, acceptedSize: accepted, error: msg };
      }
      const msg = err instanceof S2SCallError ? `${e.code}${e.details?.peerCode ? ` (${String(e.details.peerCode)})` : ''}: ${e.message}` : (err as Error).message;
      store.setShipping(accepted, false, msg);
      ctx.logger.warn({ event: 'log_ship_failed', reason: msg, backlog: ctx.log.size - accepted }, 'log shipping failed; will retry');
      return { shipped, acceptedSize: accepted, error: msg };
    }
  }
  return { shipped, acceptedSize: accepted };
}
