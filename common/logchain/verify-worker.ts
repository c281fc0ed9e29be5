import { parentPort, workerData } from 'node:worker_threads';
import { DONE, FAILED, hashRange, scanLines, siteBytes, STARTED } from './verify-range.js';

/**
 * The second half of a bundle's entries, verified on its own thread. It finds
 * its lines while the caller finds its own, then, on the message
 * { levels, base, capacity } (the shared tree levels and the position of its
 * first line), verifies and hashes them into those levels. The outcome goes
 * into a shared status word: DONE or FAILED, with the line count in st[1],
 * the placeholder count in st[2] and the lines that passed every check in st[3].
 */
interface Job {
  file: SharedArrayBuffer;
  from: number;
  to: number;
  status: SharedArrayBuffer;
  /** Set by whichever thread finds something wrong first; both stop early. */
  stop: SharedArrayBuffer;
  /** The bundle's site: every entry must name it (siteBytes). */
  site: string;
}

const { file, from, to, status, stop, site } = workerData as Job;
const st = new Int32Array(status);
const stopWord = new Int32Array(stop);

function publish(state: number): void {
  if (state === FAILED) Atomics.store(stopWord, 0, 1);
  Atomics.store(st, 0, state);
  Atomics.notify(st, 0);
}

try {
  publish(STARTED);
  const buf = Buffer.from(file);
  const lines = scanLines(buf, from, to);
  parentPort!.once('message', (msg: { levels: SharedArrayBuffer[]; base: number; capacity: number }) => {
    try {
      // More lines than fit can only be lines too short to be entries.
      const r =
        lines.n <= msg.capacity
          ? hashRange(
              buf,
              lines,
              msg.base,
              msg.levels.map((l) => new Uint8Array(l)),
              siteBytes(site),
              stopWord,
            )
          : { ok: false, placeholders: 0, checked: 0 };
      st[1] = lines.n;
      st[2] = r.placeholders;
      st[3] = r.checked;
      publish(r.ok ? DONE : FAILED);
    } catch {
      publish(FAILED);
    }
    parentPort!.close();
  });
} catch {
  publish(FAILED);
}
