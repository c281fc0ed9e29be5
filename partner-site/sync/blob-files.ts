import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../common/release/manifest.js';

/**
 * Content-addressed files: <dir>/ab/abcdef... A blob is written to a temporary
 * name and renamed into place only after its hash checked, so a file under a
 * hash's name is complete (a crash mid-write leaves only a .tmp file).
 */
export class BlobFiles {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(sha: string): string {
    return join(this.dir, sha.slice(0, 2), sha);
  }

  has(sha: string): boolean {
    return existsSync(this.file(sha));
  }

  /** Stores data under its hash; throws if the data does not hash to `sha`. */
  put(sha: string, data: Buffer): void {
    if (sha256Hex(data) !== sha) throw new Error(`blob does not match its hash ${sha}`);
    if (this.has(sha)) return;
    const f = this.file(sha);
    mkdirSync(join(this.dir, sha.slice(0, 2)), { recursive: true });
    const tmp = `${f}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, f);
  }

  /** True when the file exists and still hashes to its name. */
  intact(sha: string): boolean {
    try {
      return sha256Hex(readFileSync(this.file(sha))) === sha;
    } catch {
      return false;
    }
  }

  remove(sha: string): void {
    rmSync(this.file(sha), { force: true });
  }

  read(sha: string): Buffer {
    return readFileSync(this.file(sha));
  }

  /** Deletes every blob not in `keep`. */
  prune(keep: Set<string>): number {
    let n = 0;
    for (const d of readdirSync(this.dir)) {
      for (const f of readdirSync(join(this.dir, d))) {
        if (!keep.has(f)) {
          rmSync(join(this.dir, d, f), { force: true });
          n++;
        }
      }
    }
    return n;
  }
}
