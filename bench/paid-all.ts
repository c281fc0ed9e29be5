// npm run bench:paid — the key figures (bench/paid.ts) and the sales report
// (bench/paid-report.ts), each in its own process, then one JSON line with
// all their figures, as every bench ends.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

async function run(script: string): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    process.stdout.write(d);
    out += d.toString('utf8');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  const last = out.trimEnd().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

const keys = await run('./paid.js');
const report = await run('./paid-report.js');
console.log('');
console.log(JSON.stringify({ ...keys, ...report }));
