import type { Db } from '../../common/store/sqlite.js';
import type { Manifest } from '../../common/release/manifest.js';

export interface Release {
  number: number;
  root: string;
  note: string;
  manifest: Manifest;
  createdAt: string;
  createdBy: string;
}

interface Row {
  number: number;
  root: string;
  note: string;
  manifest_json: string;
  created_at: string;
  created_by: string;
}

const toRelease = (r: Row): Release => ({
  number: r.number,
  root: r.root,
  note: r.note,
  manifest: JSON.parse(r.manifest_json) as Manifest,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/** Releases and the blobs they reference. Releases never change once written. */
export class ReleaseStore {
  private readonly q;
  private cache = new Map<number, Release>();

  constructor(private readonly db: Db) {
    this.q = {
      latest: db.prepare<[], Row>('SELECT * FROM releases ORDER BY number DESC LIMIT 1'),
      get: db.prepare<[number], Row>('SELECT * FROM releases WHERE number = ?'),
      list: db.prepare<[number], Omit<Row, 'manifest_json'>>('SELECT number, root, note, created_at, created_by FROM releases ORDER BY number DESC LIMIT ?'),
      insertRelease: db.prepare('INSERT INTO releases (number, root, note, manifest_json, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'),
      insertBlob: db.prepare('INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)'),
      blob: db.prepare<[string], { data: Buffer }>('SELECT data FROM blobs WHERE sha256 = ?'),
    };
  }

  latest(): Release | undefined {
    const r = this.q.latest.get();
    return r ? this.get(r.number) : undefined;
  }

  get(number: number): Release | undefined {
    let rel = this.cache.get(number);
    if (!rel) {
      const r = this.q.get.get(number);
      if (!r) return undefined;
      rel = toRelease(r);
      this.cache.set(number, rel);
    }
    return rel;
  }

  list(limit = 50): Omit<Release, 'manifest'>[] {
    return this.q.list.all(limit).map((r) => ({ number: r.number, root: r.root, note: r.note, createdAt: r.created_at, createdBy: r.created_by }));
  }

  /** Stores blobs and the release in one transaction; the number is the next one. */
  create(root: string, note: string, manifest: Manifest, blobs: Map<string, Buffer>, by: string): Release {
    const number = this.db.transaction(() => {
      for (const [sha, data] of blobs) this.q.insertBlob.run(sha, data.length, data);
      const n = (this.q.latest.get()?.number ?? 0) + 1;
      this.q.insertRelease.run(n, root, note, JSON.stringify(manifest), new Date().toISOString(), by);
      return n;
    })();
    return this.get(number)!;
  }

  blob(sha256: string): Buffer | undefined {
    return this.q.blob.get(sha256)?.data;
  }
}
