/** Every bench ends the same way: a readable table, then one JSON line of its figures. */
export function report(title: string, rows: [string, string][], figures: Record<string, number | string>): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}\n${'-'.repeat(title.length)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log('');
  console.log(JSON.stringify(figures));
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs `op` with `concurrency` calls in flight for `ms` milliseconds; returns completed calls per second. */
export async function closedLoop(op: () => Promise<unknown>, concurrency: number, ms: number): Promise<{ rps: number; count: number; errors: number }> {
  const end = performance.now() + ms;
  let count = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          await op();
          count++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rps: count / ((performance.now() - start) / 1000), count, errors };
}

/**
 * The ratio a/b taken round by round (a[i] and b[i] ran next to each other, in
 * alternating order) and then the median of those ratios. A burst of load from
 * another process lands on one or two adjacent measurements, not on a whole
 * variant: the ratio of the means carried such a burst straight into the
 * figure (bench:ads gave 0.72, 0.86 and 1.04 on one idle machine), while the
 * median of paired ratios leaves it out.
 */
export function pairedRatio(a: number[], b: number[]): { median: number; low: number; high: number } {
  if (a.length !== b.length || a.length === 0) throw new Error('pairedRatio needs two series of the same, non-zero length');
  const r = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
  const mid = r.length / 2;
  const median = r.length % 2 ? r[Math.floor(mid)]! : (r[mid - 1]! + r[mid]!) / 2;
  return { median, low: r[0]!, high: r[r.length - 1]! };
}
