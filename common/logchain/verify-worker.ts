import { createHash } from 'node:crypto';
import { workerData } from 'node:worker_threads';

/**
 * One half of a bundle's entries, verified on its own thread: index and chain
 * of every line (except the first line's link, which the caller checks across
 * the seam), leaves hashed in place, and the tree levels 0..L of this half.
 * Writes status 1 (ok) or 2 (anomaly at position `bad`) and wakes the caller.
 */
interface Job {
  file: SharedArrayBuffer;
  starts: SharedArrayBuffer;
  ends: SharedArrayBuffer;
  /** Position (entry number) of this half's first line. */
  base: number;
  levels: SharedArrayBuffer[];
  status: SharedArrayBuffer;
}

const { file, starts, ends, base, levels, status } = workerData as Job;
const buf = Buffer.from(file);
const s = new Float64Array(starts);
const e = new Float64Array(ends);
const st = new Int32Array(status);
const out = levels.map((l) => Buffer.from(l));
const V1 = Buffer.from('{"v":1,"prev":"');
const IDX = Buffer.from('","index":');
const scratch = Buffer.alloc(65);
scratch[0] = 0x01;
// The previous leaf as 64 lowercase hex bytes, compared with the line's link byte for byte (no strings).
const prevHex = Buffer.alloc(64);
const HEX = Buffer.from('0123456789abcdef');
function setPrevHex(src: Buffer, at: number): void {
  for (let k = 0; k < 32; k++) {
    const v = src[at + k]!;
    prevHex[2 * k] = HEX[v >> 4]!;
    prevHex[2 * k + 1] = HEX[v & 15]!;
  }
}

function fail(p: number): never {
  st[1] = p;
  Atomics.store(st, 0, 2);
  Atomics.notify(st, 0);
  throw new Error('anomaly');
}

try {
  for (let i = 0; i < s.length; i++) {
    const a = s[i]!;
    const b = e[i]!;
    const p = base + i;
    const leafAt = i * 32;
    if (buf[a] === 123 && buf[a + 2] === 105) {
      const m = /^\{"index":(\d+),"leaf":"([0-9a-f]{64})"\}$/.exec(buf.toString('latin1', a, b));
      if (!m || Number(m[1]) !== p) fail(p);
      out[0]!.write(m[2]!, leafAt, 32, 'hex');
    } else {
      if (b - a < 92 || buf.compare(V1, 0, 15, a, a + 15) !== 0 || buf.compare(IDX, 0, 10, a + 79, a + 89) !== 0) fail(p);
      let j = a + 89;
      let index = 0;
      for (; j < b; j++) {
        const c = buf[j]! - 48;
        if (c < 0 || c > 9) break;
        index = index * 10 + c;
      }
      if (index !== p || buf[j] !== 44) fail(p);
      if (i > 0 && buf.compare(prevHex, 0, 64, a + 15, a + 79) !== 0) fail(p);
      buf[a - 1] = 0x00;
      createHash('sha256').update(buf.subarray(a - 1, b)).digest().copy(out[0]!, leafAt);
    }
    setPrevHex(out[0]!, leafAt);
  }
  for (let k = 1; k < out.length; k++) {
    const below = out[k - 1]!;
    const n = Math.floor(s.length / 2 ** k);
    for (let i = 0; i < n; i++) {
      below.copy(scratch, 1, i * 64, i * 64 + 64);
      createHash('sha256').update(scratch).digest().copy(out[k]!, i * 32);
    }
  }
  Atomics.store(st, 0, 1);
  Atomics.notify(st, 0);
} catch (err) {
  if ((err as Error).message !== 'anomaly') {
    st[1] = -1;
    Atomics.store(st, 0, 2);
    Atomics.notify(st, 0);
  }
}
