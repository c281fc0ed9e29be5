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
  /** While writes fail (a full disk), the queue is retried this often instead of every flushMs. */
  flushRetryMs?: number;
  /** While writes fail, at most this many entries wait in memory; beyond it append() refuses (see append). */
  maxPending?: number;
}

export const DEFAULT_LOG_OPTIONS: SiteLogOptions = { flushMs: 5, flushEntries: 512, checkpointMs: 1000, checkpointEntries: 1024 };

/** Where the log reports failed and successful writes (the site's StorageHealth). */
export interface WriteHealth {
  failed(component: string, err: unknown): void;
  ok(component: string): void;
}

/** Why append() refused an entry that it would otherwise take: the disk has been full long enough to fill the queue. */
export class LogUnavailable extends Error {
  readonly code = 'log_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'LogUnavailable';
  }
}

/**
 * A site's append-only access log. append() never waits on the disk: it
 * assigns the index, encodes the line and chains it to the previous leaf in
 * memory, and queues it. A flush writes the queue in one transaction every few
 * milliseconds (or every N entries), in index order, so the database always
 * holds a gap-free prefix of the log.
 *
 * Crash window: an abrupt kill loses only entries appended since the last
 * flush: entries appended within flushMs (normally 5 ms) of each other, plus
 * however long the OS kept the process from running. A committed entry is never
 * lost (SQLite WAL: a committed transaction survives a process crash; with
 * synchronous=NORMAL an operating-system crash or power cut may lose the last
 * transactions too, never part of one). There is never a hole: after a restart
 * the log continues from the last committed entry, and the lost tail's indexes
 * are simply reused by new entries.
 *
 * A failed write (SQLITE_FULL: the disk is full) never escapes a timer or
 * append(): the queue stays in memory, in order, and is retried every
 * flushRetryMs until a write succeeds; the failure and the recovery go to
 * WriteHealth (healthz, metrics, one log line each). Checkpoints wait for
 * their entries, and a checkpoint that could not be stored is signed again
 * before any later one, so sizes and times still only grow.
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
  /** The latest time any stored checkpoint carries: no checkpoint is ever signed with an earlier one. */
  private lastCheckpointTime: string;
  /** Set while writes fail: appends stop flushing on their own and the retry timer takes over. */
  private failing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the oldest waiting entry was appended. */
  private oldestPendingAt = 0;
  private clockBehindSince: string | undefined;
  private closed = false;
  /**
   * The log's clock (checkpoint times). Replaceable so tests can step it; the
   * signer never goes back in time whatever it says (see checkpoint()).
   */
  now: () => Date = () => new Date();

  constructor(
    private readonly store: LogStore,
    readonly site: string,
    private readonly signer: () => NoteSigner,
    private readonly logger: Logger,
    private readonly opts: SiteLogOptions = DEFAULT_LOG_OPTIONS,
    private readonly health: WriteHealth = { failed: () => undefined, ok: () => undefined },
  ) {
    this.origin = logOrigin(site);
    this.tree = new MerkleTree(store.allLeaves());
    const last = store.last();
    this.nextIndex = last ? last.index + 1 : 0;
    this.lastLeafHex = last ? last.leaf.toString('hex') : ZERO_HASH;
    if (this.nextIndex !== this.tree.size) throw new Error(`log of ${site} has a hole: ${this.tree.size} entries, last index ${this.nextIndex - 1}`);
    this.lastCheckpointSize = store.latestCheckpoint()?.size ?? 0;
    this.lastCheckpointTime = store.latestCheckpointTime() ?? '';
    this.checkpointTimer = setInterval(() => {
      if (!this.failing) this.signDue(true);
    }, opts.checkpointMs);
    this.checkpointTimer.unref();
  }

  /**
   * Queues one entry; returns its index. Never touches the disk. Throws
   * (EntryRefused), taking no index, when the entry's type is not registered
   * or its payload fails the type's schema (see entry-types.ts for why), and
   * (LogUnavailable) when writes have failed long enough that maxPending
   * entries wait. Callers append after answering, so the answer stands.
   */
  append(fields: EntryFields): number {
    if (this.closed) throw new Error('the log is closed');
    this.types.check(this.site, fields);
    // Bounded memory while the disk is full: refused before taking an index, so still no hole.
    if (this.failing && this.pending.length >= (this.opts.maxPending ?? 200_000)) {
      throw new LogUnavailable(`the access log cannot be written (the disk is full?) and ${this.pending.length} entries already wait; this one is not logged`);
    }
    const index = this.nextIndex++;
    const line = encodeEntry(this.lastLeafHex, index, fields);
    const leaf = entryLeaf(line);
    this.lastLeafHex = leaf.toString('hex');
    const now = performance.now();
    if (!this.pending.length) this.oldestPendingAt = now;
    this.pending.push({ index, line, leaf });
    if (this.failing) return index; // the retry timer flushes; a failing write per append would only cost time
    // The timer alone is late under load (a busy event loop runs it only between batches
    // of I/O callbacks, and a starved process later still): an append that finds the
    // oldest waiting entry flushMs old commits at once, so what a kill can lose stays
    // within about flushMs of traffic (docs/logs.md, "the crash window").
    if (this.pending.length >= this.opts.flushEntries || now - this.oldestPendingAt >= this.opts.flushMs) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.opts.flushMs);
      this.flushTimer.unref();
    }
    return index;
  }

  /**
   * Whether `count` more entries can be queued now (false only while writes
   * fail and the queue is full): a caller that must log several entries as one
   * step asks first, so that none of them is refused halfway.
   */
  hasRoomFor(count: number): boolean {
    return !this.closed && !(this.failing && this.pending.length + count > (this.opts.maxPending ?? 200_000));
  }

  /**
   * Commits the queue in one transaction; returns whether everything appended
   * is committed. Never throws for a failed write: the queue is kept, in order,
   * and retried (see the class comment).
   */
  flush(): boolean {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length) {
      const batch = this.pending;
      try {
        this.store.insertBatch(batch);
      } catch (err) {
        // One transaction: nothing of the batch was written, so the queue is still a gap-free continuation.
        this.writeFailed(err);
        return false;
      }
      this.pending = [];
      for (const r of batch) this.tree.append(r.leaf);
    }
    // Checkpoints every checkpointEntries entries, so no two are further apart
    // than that (a shipment always ends at one).
    if (!this.signDue(false)) return false;
    this.writeSucceeded();
    return true;
  }

  /**
   * Signs the checkpoints that are due, in size order: every checkpointEntries
   * entries, and with `tail` one at the committed size. False when one could
   * not be stored; it is then signed again before any later one.
   */
  private signDue(tail: boolean): boolean {
    try {
      while (this.tree.size - this.lastCheckpointSize >= this.opts.checkpointEntries) this.checkpoint(this.lastCheckpointSize + this.opts.checkpointEntries);
      if (tail && this.tree.size > this.lastCheckpointSize) this.checkpoint();
      return true;
    } catch (err) {
      this.writeFailed(err);
      return false;
    }
  }

  private writeFailed(err: unknown): void {
    this.failing = true;
    this.health.failed('log', err);
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.flush();
      }, this.opts.flushRetryMs ?? 1000);
      this.retryTimer.unref();
    }
  }

  private writeSucceeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.health.ok('log');
    this.logger.info({ event: 'log_flush_resumed', size: this.tree.size }, 'the access log is written again');
  }

  /** Whether the last write failed (the queue waits in memory; see the class comment). */
  get degraded(): boolean {
    return this.failing;
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

  /** Signs a checkpoint for `size` (default: everything committed) unless one exists; returns it. Throws when it cannot be stored. */
  checkpoint(size = this.tree.size): StoredCheckpoint | undefined {
    const existing = this.store.checkpointAtMost(size);
    if (size === 0 || existing?.size === size) return existing;
    const cp = this.sign(size);
    this.store.addCheckpoint(cp);
    this.signed(cp);
    return cp;
  }

  /**
   * Signs the checkpoint of `size` again with a time no earlier than any
   * checkpoint signed so far, replacing the stored one (same size, same root:
   * the same tree, only later). For a checkpoint that an older version signed
   * after the clock was stepped back, which the witness refuses as a time
   * regression: without this the log could never be shipped past it.
   */
  resign(size: number): StoredCheckpoint {
    const cp = this.sign(size);
    this.store.replaceCheckpoint(cp);
    this.signed(cp);
    this.logger.warn({ event: 'log_checkpoint_resigned', size, time: cp.time }, `checkpoint ${size} signed again with time ${cp.time}: it was older than a checkpoint signed before it`);
    return cp;
  }

  private sign(size: number): StoredCheckpoint {
    const s = this.signer();
    const root = this.tree.root(size);
    const time = this.checkpointTime();
    const note = signNote(formatCheckpoint({ origin: this.origin, size, root, time }), s);
    return { size, root, time, note, signerX: s.publicRaw.toString('base64url') };
  }

  private signed(cp: StoredCheckpoint): void {
    if (cp.size > this.lastCheckpointSize) this.lastCheckpointSize = cp.size;
    if (cp.time > this.lastCheckpointTime) this.lastCheckpointTime = cp.time;
  }

  /**
   * Checkpoint times never go backwards: the later of now and the latest
   * checkpoint time signed so far. After the clock is stepped back (it ran
   * fast and was corrected), checkpoints keep the last time until the clock
   * catches up, and the witness keeps accepting them; a signer that followed
   * the clock would be refused as a time regression until then.
   */
  private checkpointTime(): string {
    const now = this.now().toISOString();
    if (now >= this.lastCheckpointTime) {
      if (this.clockBehindSince) {
        this.logger.info({ event: 'log_clock_caught_up', behindSince: this.clockBehindSince }, 'clock: checkpoint times follow the clock again');
        this.clockBehindSince = undefined;
      }
      return now;
    }
    if (!this.clockBehindSince) {
      this.clockBehindSince = now;
      const behindS = Math.round((Date.parse(this.lastCheckpointTime) - Date.parse(now)) / 1000);
      this.logger.warn(
        { event: 'log_clock_behind', clock: now, lastCheckpointTime: this.lastCheckpointTime, skewS: behindS },
        `clock: this site's clock is ${behindS} s behind the time of its last signed checkpoint (${this.lastCheckpointTime}); was it stepped back? Checkpoints keep that time until the clock catches up`,
      );
    }
    return this.lastCheckpointTime;
  }

  /** Commits and signs what it can; entries that cannot be written (a full disk) are lost with the process, and the log says how many. */
  close(): void {
    if (this.closed) return;
    const flushed = this.flush() && this.signDue(true);
    this.closed = true;
    clearInterval(this.checkpointTimer);
    clearTimeout(this.retryTimer);
    if (!flushed) this.logger.error({ event: 'log_close_unflushed', pending: this.pending.length }, `closing with ${this.pending.length} access-log entries that could not be written`);
  }
}
