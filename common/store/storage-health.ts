import type { SiteMetrics } from '../http/metrics.js';
import type { Logger } from '../logger.js';

/** SQLite says the disk (or the database's size limit) is full: nothing can be written until space is freed. */
export function isDiskFull(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

/** The SQLite code of a failed write (SQLITE_FULL, SQLITE_IOERR_WRITE, ...), or "error" for anything else. */
export function writeErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_[A-Z_]+$/.test(code) ? code : 'error';
}

export interface StorageProblem {
  /** What cannot write: "log" (the access log's flush and checkpoints). */
  component: string;
  /** The SQLite code, e.g. SQLITE_FULL. */
  code: string;
  /** When the first write of this episode failed (UTC). */
  since: string;
  failures: number;
  message: string;
}

/**
 * What the site knows about its own writes: components that write on their
 * own schedule (the log's flush timer) report each failure and each success
 * here, so a full disk shows up once, on /healthz, in a metric and in one log
 * line per episode (not one per retry), and clears by itself when writes
 * succeed again.
 */
export class StorageHealth {
  private readonly problems = new Map<string, StorageProblem>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics?: SiteMetrics,
  ) {}

  /** A write of `component` failed; the first failure of an episode is logged. */
  failed(component: string, err: unknown): void {
    const code = writeErrorCode(err);
    this.metrics?.storageWriteFailures.inc({ component, code });
    const known = this.problems.get(component);
    if (known && known.code === code) {
      known.failures++;
      return;
    }
    const message = isDiskFull(err) ? 'the disk is full: nothing can be written until space is freed' : `writes fail: ${(err as Error)?.message ?? String(err)}`;
    const p: StorageProblem = { component, code, since: new Date().toISOString(), failures: 1, message };
    if (known) this.metrics?.storageDegraded.set({ component, code: known.code }, 0);
    this.problems.set(component, p);
    this.metrics?.storageDegraded.set({ component, code }, 1);
    this.logger.error({ event: 'storage_write_failed', component, code, reason: (err as Error)?.message }, `${component}: ${message}; retrying`);
  }

  /** A write of `component` succeeded: its problem, if any, is over. */
  ok(component: string): void {
    const known = this.problems.get(component);
    if (!known) return;
    this.problems.delete(component);
    this.metrics?.storageDegraded.set({ component, code: known.code }, 0);
    this.logger.info({ event: 'storage_write_resumed', component, code: known.code, since: known.since, failures: known.failures }, `${component}: writes succeed again`);
  }

  /** The components that cannot write now. */
  list(): StorageProblem[] {
    return [...this.problems.values()].map((p) => ({ ...p }));
  }
}
