import type { Logger } from '../logger.js';
import type { LogStore, StoredCheckpoint } from '../store/log-store.js';
import { encodeEntry, entryLeaf, ZERO_HASH, type EntryFields } from './entry.js';
import { EntryTypes } from './entry-types.js';
import { MerkleTree } from './merkle.js';
import { formatCheckpoint, logOrigin, signNote, type NoteSigner } from './note.js';

export interface SiteLogOptions {
  /** Group commit: a transaction at most this often... */
  flushMs: number;
  /** ...or as soon as this many entries wait. */
  flushEntries: number;
  checkpointMs: number;
  checkpointEntries: number;
}

export const DEFAULT_LOG_OPTIONS: SiteLogOptions = { flushMs: 5, flushEntries: 512, checkpointMs: 1000, checkpointEntries: 1024 };

/**
 * A site's append-only access log. append() never waits on the disk: it
 * assigns the index, encodes the line and chains it to the previous leaf in
 * memory, and queues it. A flush writes the queue in one transaction every few
 * milliseconds (or every N entries), in index order, so the database always
 * holds a gap-free prefix of the log.
 *
 * Crash window: an abrupt kill loses only entries appended since the last
 * flush (at most flushMs, normally 5 ms, of traffic). A committed entry is never
 * lost (SQLite WAL: a committed transaction survives a process crash; with
 * synchronous=NORMAL an operating-system crash or power cut may lose the last
 * transactions too, never part of one). There is never a hole: after a restart
 * the log continues from the last committed entry, and the lost tail's indexes
 * are simply reused by new entries.
 */
export class SiteLog {
  readonly origin: string;
  /** The entry types this log accepts; the host registers its modules' types at start. */
  readonly types = new EntryTypes();
  private readonly tree: MerkleTree;
  private pending: { index: number; line: string; leaf: Buffer }[] = [];
  private nextIndex: number;
  private lastLeafHex: string;
  private flushTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private lastCheckpointSize: number;
  private closed = false;

  constructor(
    private readonly store: LogStore,
    readonly site: string,
    private readonly signer: () => NoteSigner,
    private readonly logger: Logger,
    private readonly opts: SiteLogOptions = DEFAULT_LOG_OPTIONS,
  ) {
    this.origin = logOrigin(site);
    this.tree = new MerkleTree(store.allLeaves());
    const last = store.last();
    this.nextIndex = last ? last.index + 1 : 0;
    this.lastLeafHex = last ? last.leaf.toString('hex') : ZERO_HASH;
    if (this.nextIndex !== this.tree.size) throw new Error(`log of ${site} has a hole: ${this.tree.size} entries, last index ${this.nextIndex - 1}`);
    this.lastCheckpointSize = store.latestCheckpoint()?.size ?? 0;
    this.checkpointTimer = setInterval(() => {
      if (this.tree.size > this.lastCheckpointSize) this.checkpoint();
    }, opts.checkpointMs);
    this.checkpointTimer.unref();
  }

  /**
   * Queues one entry; returns its index. Never touches the disk. Throws
   * (EntryRefused), taking no index, when the entry's type is not registered
   * or its payload fails the type's schema (see entry-types.ts for why).
   */
  append(fields: EntryFields): number {
    if (this.closed) throw new Error('the log is closed');
    this.types.check(this.site, fields);
    const index = this.nextIndex++;
    const line = encodeEntry(this.lastLeafHex, index, fields);
    const leaf = entryLeaf(line);
    this.lastLeafHex = leaf.toString('hex');
    this.pending.push({ index, line, leaf });
    if (this.pending.length >= this.opts.flushEntries) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.flushTimer.unref();
    }
    return index;
  }

  /** Commits the queue in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.store.insertBatch(batch);
    // Checkpoints at exact multiples of checkpointEntries, so no two are further apart
    // than that (a shipment always ends at one).
    for (const r of batch) {
      this.tree.append(r.leaf);
      if (this.tree.size - this.lastCheckpointSize >= this.opts.checkpointEntries) this.checkpoint();
    }
  }

  /** Committed size (what checkpoints can cover). */
  get size(): number {
    return this.tree.size;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  root(size = this.tree.size): Buffer {
    return this.tree.root(size);
  }

  leaf(index: number): Buffer {
    return this.tree.leaf(index);
  }

  consistencyProof(from: number, to: number): Buffer[] {
    return this.tree.consistencyProof(from, to);
  }

  inclusionProof(index: number, size: number): Buffer[] {
    return this.tree.inclusionProof(index, size);
  }

  /** Signs a checkpoint for `size` (default: everything committed) unless one exists; returns it. */
  checkpoint(size = this.tree.size): StoredCheckpoint | undefined {
    const existing = this.store.checkpointAtMost(size);
    if (size === 0 || existing?.size === size) return existing;
    const s = this.signer();
    const root = this.tree.root(size);
    const time = new Date().toISOString();
    const note = signNote(formatCheckpoint({ origin: this.origin, size, root, time }), s);
    const cp = { size, root, time, note, signerX: s.publicRaw.toString('base64url') };
    this.store.addCheckpoint(cp);
    if (size > this.lastCheckpointSize) this.lastCheckpointSize = size;
    return cp;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.checkpoint();
    this.closed = true;
    clearInterval(this.checkpointTimer);
  }
}
