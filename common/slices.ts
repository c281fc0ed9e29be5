import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Long jobs on a serving site (rendering or re-hashing a whole release) run in
 * slices of at most about this many milliseconds, giving the event loop back
 * between slices so shoppers' requests are answered while the job runs.
 */
export const SLICE_MS = 5;

/**
 * Paces a loop: call `due()` between units of work and `await yieldNow()`
 * when it says so, or simply `await slicer.tick()`. A unit of work is never
 * cut, so a slice lasts the budget plus at most one unit.
 */
export class Slicer {
  private start = performance.now();

  constructor(private readonly budgetMs = SLICE_MS) {}

  /** Resolves at once while the slice has budget left; otherwise after the event loop has had a turn (pending I/O runs first). */
  async tick(): Promise<void> {
    if (performance.now() - this.start < this.budgetMs) return;
    await nextTurn();
    this.start = performance.now();
  }
}

/** Runs `fn` over `items` in slices; between slices the event loop serves whatever is waiting. */
export async function eachSliced<T>(items: Iterable<T>, fn: (item: T) => void, budgetMs = SLICE_MS): Promise<void> {
  const s = new Slicer(budgetMs);
  for (const item of items) {
    fn(item);
    await s.tick();
  }
}

/**
 * A job written once as a generator that yields between units of work can run
 * at once (`runNow`, where a caller needs the answer synchronously) or in
 * slices (`runSliced`) where it would otherwise hold up serving.
 */
export function runNow<T>(job: Generator<void, T>): T {
  for (;;) {
    const r = job.next();
    if (r.done) return r.value;
  }
}

export async function runSliced<T>(job: Generator<void, T>, budgetMs = SLICE_MS): Promise<T> {
  const s = new Slicer(budgetMs);
  for (;;) {
    const r = job.next();
    if (r.done) return r.value;
    await s.tick();
  }
}
