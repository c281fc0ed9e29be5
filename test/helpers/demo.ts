import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromRoot } from '../../common/paths.js';
import { freePorts, TIEUP_BIN } from './cli.js';

/** What `tieup demo` prints once every site listens. */
const READY_LINE = 'Ctrl-C stops every site';

/** `tieup demo` (what `npm start` runs) as a child process on free ports, with its own data, keys and content copy. */
export interface RunningDemo {
  child: ChildProcess;
  ports: number[];
  main: string;
  north: string;
  south: string;
  /** The coordination peers' addresses (grocer, courier, payagent). */
  coord: string[];
  /** Everything the demo printed so far (stdout and stderr). */
  output(): string;
  /** Stops the demo (SIGTERM, waiting for it to exit; SIGKILL with `kill`) and removes `dir`. */
  stop(o?: { kill?: boolean }): Promise<void>;
}

/**
 * Starts the demo in `dir` (data, keys and a copy of the demo content) with
 * `token` as the API token, and waits for its ready line. `env` adds settings.
 * The coordination peers get free ports too (by default they take the three
 * after the main site's, which another process may hold).
 */
export async function startDemo(o: { dir: string; token: string; env?: Record<string, string>; readyMs?: number }): Promise<RunningDemo> {
  const all = await freePorts(6);
  const ports = all.slice(0, 3);
  const coordPorts = all.slice(3);
  cpSync(fromRoot('main-site/demo-content'), join(o.dir, 'content'), { recursive: true });
  const child = spawn(process.execPath, [TIEUP_BIN, 'demo'], {
    env: {
      ...process.env,
      TIEUP_DEMO_PORTS: ports.join(','),
      TIEUP_DEMO_COORD_PORTS: coordPorts.join(','),
      TIEUP_DATA_DIR: join(o.dir, 'data'),
      TIEUP_KEYS_DIR: join(o.dir, 'keys'),
      TIEUP_DEMO_TOKEN: o.token,
      TIEUP_DEMO_CONTENT_DIR: join(o.dir, 'content'),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [main, north, south] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string, string];
  const demo: RunningDemo = {
    child,
    ports,
    main,
    north,
    south,
    coord: coordPorts.map((p) => `http://127.0.0.1:${p}`),
    output: () => out,
    async stop(s = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(s.kill ? 'SIGKILL' : 'SIGTERM');
        await exited;
      }
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (o.readyMs ?? 60_000);
  while (!out.includes(READY_LINE)) {
    if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
    if (Date.now() > deadline) {
      await demo.stop({ kill: true });
      throw new Error(`demo did not start:\n${out}`);
    }
    await sleep(100);
  }
  return demo;
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await sleep(100);
  }
}

/**
 * North applies releases at once; south holds them for its manager's approval.
 * Waits for north to serve `northPath`, approves south's first release over
 * its API, and waits for south to serve `southPath`.
 */
export async function approveSouthsFirstRelease(demo: RunningDemo, token: string, northPath: string, southPath: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const pending = async () => ((await (await fetch(`${demo.south}/manage/api/pending`, { headers })).json()) as { pending?: { release: number }[] }).pending ?? [];
  await until(async () => (await fetch(`${demo.north}${northPath}`)).status === 200, 30_000, `north serving ${northPath}`);
  await until(async () => (await pending()).length === 1, 30_000, 'south listing the first release');
  const first = (await pending())[0]!.release;
  const r = await fetch(`${demo.south}/manage/api/pending/${first}/approve`, { method: 'POST', headers, body: '{}' });
  if (r.status !== 200) throw new Error(`approving south's release ${first} answered ${r.status}: ${await r.text()}`);
  await until(async () => (await fetch(`${demo.south}${southPath}`)).status === 200, 30_000, `south serving ${southPath}`);
}
