// Worker thread of bench/serve.ts: a closed loop of page requests that records
// when each request started and how long it took. It runs in its own thread so
// the main site's work in the bench process (publishing, pushing) cannot delay
// it: what it measures is the partner's latency, not the load generator's.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

export interface LatencyJob {
  url: string;
  headers: Record<string, string>;
  concurrency: number;
}

/** One request: start and end in ms since the epoch (performance.timeOrigin based, comparable across threads). */
export type Sample = [start: number, end: number, ok: 0 | 1];

const job = workerData as LatencyJob;
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const samples: Sample[] = [];
let running = true;
const now = () => performance.timeOrigin + performance.now();

parentPort!.on('message', (m: string) => {
  if (m === 'stop') running = false;
});

const loops = Array.from({ length: job.concurrency }, async () => {
  while (running) {
    const start = now();
    let ok: 0 | 1 = 0;
    try {
      const r = await request(job.url, { dispatcher: agent, headers: job.headers });
      await r.body.arrayBuffer();
      ok = r.statusCode === 200 ? 1 : 0;
    } catch {
      ok = 0;
    }
    samples.push([start, now(), ok]);
  }
});
parentPort!.postMessage('started');
await Promise.all(loops);
await agent.close();
parentPort!.postMessage(samples);
// The message listener would keep this thread (and the bench) alive.
parentPort!.close();
