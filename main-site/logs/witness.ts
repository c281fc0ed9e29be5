import { decodeEntry, entryHead, entryLeaf, ZERO_HASH } from '../../common/logchain/entry.js';
import { MerkleTree, verifyConsistency } from '../../common/logchain/merkle.js';
import { checkNoteSignature, cosign, logOrigin, parseCheckpoint, parseNote, rawPublicKey, witnessName, type NoteSigner } from '../../common/logchain/note.js';
import type { SiteContext } from '../../common/site/context.js';
import type { AcceptedEntry, WitnessStore } from './witness-store.js';
import { logsErrors } from './errors.js';

export const MAX_SHIP_ENTRIES = 5000;
const MAX_LINE = 8192;

/** A shipment the witness accepted: its entries (verified, stored) and the signed checkpoint they end at. */
export interface WitnessedShipment {
  from: number;
  entries: readonly AcceptedEntry[];
  size: number;
  root: Buffer;
}
export type WitnessListener = (site: string, shipment: WitnessedShipment) => void;

export interface ShipRequest {
  from: number;
  entries: string[];
  checkpoint: string;
  proof: string[];
}

/**
 * The main site as witness of each partner's log: it accepts only an extension
 * of what it already accepted, recomputes every leaf itself, and countersigns
 * the partner's checkpoint (C2SP cosignature/v1).
 */
export class Witness {
  private readonly trees = new Map<string, MerkleTree>();
  /** Told of each accepted shipment after it is stored (MainLogs.onWitnessed). */
  readonly listeners: WitnessListener[] = [];

  constructor(
    private readonly ctx: SiteContext,
    readonly store: WitnessStore,
  ) {}

  signer(): NoteSigner {
    return this.ctx.noteSigner(witnessName(this.ctx.config.siteId));
  }

  tree(site: string): MerkleTree {
    let t = this.trees.get(site);
    if (!t) {
      t = new MerkleTree(this.store.leaves(site));
      this.trees.set(site, t);
    }
    return t;
  }

  accept(site: string, raw: unknown): { acceptedSize: number; cosignature: string; witness: string } {
    const b = (raw ?? {}) as Partial<ShipRequest>;
    if (!Number.isSafeInteger(b.from) || (b.from as number) < 0 || !Array.isArray(b.entries) || typeof b.checkpoint !== 'string' || !Array.isArray(b.proof)) {
      throw logsErrors.invalid_request('a shipment needs from, entries, checkpoint and proof');
    }
    if (b.entries.length > MAX_SHIP_ENTRIES) throw logsErrors.batch_too_large(`at most ${MAX_SHIP_ENTRIES} entries per shipment`);
    const tree = this.tree(site);
    const accepted = this.store.latestCheckpoint(site);
    const acceptedSize = accepted?.size ?? 0;
    const from = b.from as number;

    const note = parseNote(b.checkpoint);
    const body = note ? parseCheckpoint(note.body) : null;
    if (!note || !body) throw logsErrors.bad_checkpoint('the checkpoint is not a signed note in checkpoint format');
    if (body.origin !== logOrigin(site)) throw logsErrors.bad_checkpoint(`the checkpoint is for ${body.origin}, not ${logOrigin(site)}`);
    const now = new Date().toISOString();
    const keys = this.ctx.peers.keys(site).filter((k) => k.validUntil === null || k.validUntil > now);
    const signedBy = keys.find((k) => checkNoteSignature(note, { name: logOrigin(site), publicRaw: rawPublicKey(String(k.publicJwk.x)) }) === 'ok');
    if (!signedBy) throw logsErrors.bad_checkpoint_signature('the checkpoint is not signed by a key pinned for this partner');

    // A second, different signed checkpoint for a size already accepted is a fork.
    if (body.size <= acceptedSize) {
      const same = this.store.checkpointAt(site, body.size);
      if (same && !same.root.equals(body.root)) {
        this.store.addFork(site, `two signed checkpoints of size ${body.size} with different roots`, same.note, b.checkpoint);
        this.ctx.logger.error({ event: 'log_fork', site, size: body.size }, `fork in the log of ${site}`);
        throw logsErrors.fork(`checkpoint of size ${body.size} contradicts the one accepted; both are kept as evidence`);
      }
      if (same && body.size === acceptedSize && b.entries.length === 0) {
        return { acceptedSize, cosignature: same.cosignature, witness: witnessName(this.ctx.config.siteId) };
      }
    }
    if (from !== acceptedSize) throw logsErrors.size_mismatch(`the main site has accepted ${acceptedSize} entries of this log; ship from there`, { expected: acceptedSize });
    if (body.size !== from + b.entries.length) throw logsErrors.checkpoint_mismatch(`the checkpoint is for size ${body.size}, the shipment ends at ${from + b.entries.length}`);
    if (accepted && body.time < accepted.time) {
      const backS = Math.round((Date.parse(accepted.time) - Date.parse(body.time)) / 1000);
      throw logsErrors.time_regression(
        `clock: the checkpoint's time ${body.time} is ${backS} s before the last accepted checkpoint's (${accepted.time}); the partner's clock went back (it ran ${backS} s fast and was corrected?). A current partner signs checkpoints no earlier than its last one and recovers by itself`,
        { accepted: accepted.time, got: body.time, skewS: backS },
      );
    }

    // Recompute every leaf and the chain.
    let prev = from === 0 ? ZERO_HASH : tree.leaf(from - 1).toString('hex');
    const rows: AcceptedEntry[] = [];
    for (let i = 0; i < b.entries.length; i++) {
      const line = b.entries[i];
      const index = from + i;
      if (typeof line !== 'string' || line.length > MAX_LINE) throw logsErrors.bad_entry(`entry ${index} is not a log line`);
      const head = entryHead(line);
      const entry = head ? decodeEntry(line) : null;
      if (!head || !entry) throw logsErrors.bad_entry(`entry ${index} is not in the canonical v1 encoding`);
      if (head.index !== index) throw logsErrors.bad_entry(`entry at position ${index} says it is ${head.index}`);
      if (head.prev !== prev) throw logsErrors.bad_entry(`entry ${index} does not chain to entry ${index - 1}`);
      if (entry.site !== site) throw logsErrors.bad_entry(`entry ${index} is for site ${entry.site}`);
      const leaf = entryLeaf(line);
      rows.push({ index, line, leaf, fields: entry });
      prev = leaf.toString('hex');
    }
    // Extend the tree, check, and undo the extension if anything fails.
    for (const r of rows) tree.append(r.leaf);
    let cosignature: string;
    try {
      if (!tree.root().equals(body.root)) throw logsErrors.checkpoint_mismatch("the entries do not hash to the checkpoint's root");
      if (acceptedSize > 0) {
        const proof = b.proof.map((h) => Buffer.from(String(h), 'hex'));
        if (!verifyConsistency(acceptedSize, body.size, accepted!.root, body.root, proof)) {
          this.store.addFork(site, `consistency proof from ${acceptedSize} to ${body.size} does not verify`, accepted!.note, b.checkpoint);
          throw logsErrors.fork(`the partner's tree of size ${body.size} is not an extension of the accepted size ${acceptedSize}; kept as evidence`);
        }
      }
      cosignature = cosign(note.body, this.signer());
      this.store.accept(site, rows, { size: body.size, root: body.root, time: body.time, note: b.checkpoint, signerX: String(signedBy.publicJwk.x), cosignature });
    } catch (err) {
      tree.truncate(acceptedSize);
      throw err;
    }
    this.store.setReported(site, body.size);
    for (const l of this.listeners) {
      // A listener's failure never refuses what is already accepted and stored; it can catch up from the store.
      try {
        l(site, { from, entries: rows, size: body.size, root: body.root });
      } catch (err) {
        this.ctx.logger.error({ event: 'witness_listener_failed', site, size: body.size, err }, 'a listener of witnessed shipments failed');
      }
    }
    return { acceptedSize: body.size, cosignature, witness: witnessName(this.ctx.config.siteId) };
  }
}
