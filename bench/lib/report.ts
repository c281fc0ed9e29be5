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
