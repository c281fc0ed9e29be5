// npm run bench:crash — the access log's crash window: how much of the log an
// abrupt kill (SIGKILL) under load loses. A partner runs in its own process
// with 32 connections fetching a page (one log entry each); after a random
// 1 to 2 s of load it is killed, and its database is read as the process left it.
// Per kill:
//   lost entries = pages answered - entries committed (an entry is appended in
//                  the same tick its answer is written, so every answered page
//                  had its entry appended before the kill)
//   window ms    = how many milliseconds of traffic the lost entries cover: from
//                  the answer of the oldest lost entry to the kill (the client's
//                  receive times; answers come in the order their entries were appended)
// Reported: the largest and the median over BENCH_KILLS kills (default 10).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { generateSiteKeys } from '../common/keys/keystore.js';
import { fromRoot } from '../common/paths.js';
import { siteMigrations } from '../common/site/host.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { fmt, report } from './lib/report.js';

const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const FLUSH_MS = Number(process.env.TIEUP_LOG_FLUSH_MS ?? 5);
const PORT = 39_000 + Math.floor(Math.random() * 1000);

const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

async function oneKill(dir: string): Promise<{ lost: number; windowMs: number; answered: number; committed: number }> {
  const dbFile = join(dir, 'data', 'north.sqlite');
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  const db = openDatabase(dbFile);
  runMigrations(db, siteMigrations(PARTNER_SITE));
  db.close();
  const child = spawn(process.execPath, [fromRoot('dist/partner-site/server.js')], {
    env: {
      ...process.env,
      TIEUP_CONFIG: '',
      TIEUP_SITE_ID: 'north',
      TIEUP_PORT: String(PORT),
      TIEUP_DATA_DIR: join(dir, 'data'),
      TIEUP_KEYS_DIR: join(dir, 'keys'),
      TIEUP_ORIGINAL_DIR: fromRoot('partner-site/demo-original/north'),
      TIEUP_LOG_LEVEL: 'error',
      TIEUP_LOG_FLUSH_MS: String(FLUSH_MS),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) break;
    } catch {
      if (i > 400) throw new Error('partner did not start');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const agent = new Agent({ connections: CONNECTIONS });
  let stop = false;
  let answered = 0;
  const answeredAt: number[] = [];
  const load = Array.from({ length: CONNECTIONS }, async () => {
    while (!stop) {
      try {
        const r = await request(`http://127.0.0.1:${PORT}/local-news`, { dispatcher: agent });
        await r.body.dump();
        if (r.statusCode === 200) {
          answered++;
          answeredAt.push(performance.now());
        }
      } catch {
        return;
      }
    }
  });
  await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
  const killAt = performance.now();
  child.kill('SIGKILL');
  stop = true;
  await Promise.all(load);
  await agent.close();
  await exited(child);
  const read = new Database(dbFile, { readonly: true });
  const committed = (read.prepare('SELECT COUNT(*) AS n FROM log_entries').get() as { n: number }).n;
  read.close();
  const lost = Math.max(0, answered - committed);
  const oldestLost = answeredAt[answeredAt.length - lost];
  return { lost, windowMs: oldestLost === undefined ? 0 : Math.round(Math.max(0, killAt - oldestLost) * 10) / 10, answered, committed };
}

const dir = mkdtempSync(join(tmpdir(), 'tieup-bench-crash-'));
await generateSiteKeys(join(dir, 'keys'), 'north');
const runs = [];
for (let k = 0; k < KILLS; k++) runs.push(await oneKill(dir));
rmSync(dir, { recursive: true, force: true });

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const lost = runs.map((r) => r.lost);
const windows = runs.map((r) => r.windowMs);
const rate = runs.reduce((s, r) => s + r.answered, 0) / runs.length;
report(
  `Crash window: SIGKILL under load (${CONNECTIONS} connections, TIEUP_LOG_FLUSH_MS=${FLUSH_MS}, ${KILLS} kills)`,
  [
    ['pages answered per run (mean)', fmt(rate)],
    ['lost entries per kill (max / median)', `${Math.max(...lost)} / ${median(lost)}`],
    ['window per kill, ms (max / median)', `${Math.max(...windows)} / ${median(windows)}`],
    ['each kill: lost entries, window ms', runs.map((r) => `${r.lost},${r.windowMs}`).join('  ')],
  ],
  { crash_lost_entries_max: Math.max(...lost), crash_lost_entries_median: median(lost), crash_window_ms_max: Math.max(...windows), crash_window_ms_median: median(windows), flush_ms: FLUSH_MS },
);
