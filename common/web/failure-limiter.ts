/**
 * Counts failures per key in a sliding window (login attempts per account and
 * per client address). In memory: a restart forgets, which only ever helps a
 * legitimate user, and the window is short.
 *
 * An attempt is counted when it starts (`beginAttempt`), before the slow
 * password check, not when the check has failed: otherwise forty wrong
 * passwords sent at once all pass the "blocked?" test before the first one is
 * counted, and all forty are checked. A check that succeeds then settles its
 * counted attempt by the limiter's rule (see `successResets`).
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  /**
   * @param successResets what a successful check does to its key: true forgets
   *   every failure of the key (per account: the owner got in); false only takes
   *   back the attempt it counted (per address: other accounts' failures from
   *   that address still count).
   */
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly successResets = false,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until the key may try again, or 0 when it is not blocked. */
  blockedFor(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    if (list.length < this.max) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.max]! + this.windowMs - now) / 1000));
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  /** Takes back one attempt counted at `at` (if the window has not already dropped it). */
  private undo(key: string, at: number): void {
    const list = this.failures.get(key);
    const i = list?.indexOf(at) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (!list.length) this.failures.delete(key);
  }

  /** What a successful check does to the attempt counted at `at` for `key`. */
  settleSuccess(key: string, at: number): void {
    if (this.successResets) this.reset(key);
    else this.undo(key, at);
  }
}

/** An attempt counted before its check; tell it how the check ended. */
export interface CountedAttempt {
  /** The check succeeded: each limiter settles the attempt by its rule. */
  succeeded(): void;
}

export type AttemptStart = { blocked: false; attempt: CountedAttempt } | { blocked: true; retryAfter: number };

/**
 * Counts one attempt on every (limiter, key) pair at once, unless any of them
 * is already blocked (then nothing is counted and the caller answers 429).
 * Synchronous, so no other attempt can slip between the test and the count.
 * A failed check needs nothing more: its attempt is already counted.
 */
export function beginAttempt(limits: readonly (readonly [FailureLimiter, string])[], now = Date.now()): AttemptStart {
  const wait = Math.max(0, ...limits.map(([l, key]) => l.blockedFor(key, now)));
  if (wait > 0) return { blocked: true, retryAfter: wait };
  for (const [l, key] of limits) l.fail(key, now);
  let settled = false;
  return {
    blocked: false,
    attempt: {
      succeeded() {
        if (settled) return;
        settled = true;
        for (const [l, key] of limits) l.settleSuccess(key, now);
      },
    },
  };
}
