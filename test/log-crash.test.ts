import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { entryHead, entryLeaf, ZERO_HASH } from '../common/logchain/entry.js';
import { MerkleTree } from '../common/logchain/merkle.js';
import { checkNoteSignature, logOrigin, parseCheckpoint, parseNote, rawPublicKey } from '../common/logchain/note.js';
import { fromRoot } from '../common/paths.js';
import { ConsoleStore } from '../common/store/console-store.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { hashPassword } from '../common/web/password.js';
import { sha256Hex } from '../common/web/tokens.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { siteMigrations } from '../common/site/host.js';
import { freePorts } from './helpers/cli.js';
import { tempDir, TEST_TOKEN } from './helpers/network.js';

/** Resolves when the process has exited, including when it already had before this was called. */
function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => c.once('exit', () => r()));
}

describe('crash window: a partner killed during heavy logging loses no committed entry and leaves no hole', function () {
  this.timeout(90000);
  const dir = tempDir('tieup-crash-');
  const dbFile = join(dir, 'data', 'north.sqlite');
  let port: number;
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(process.execPath, [fromRoot('dist/partner-site/server.js')], {
      env: {
        ...process.env,
        TIEUP_CONFIG: '',
        TIEUP_SITE_ID: 'north',
        TIEUP_PORT: String(port),
        TIEUP_DATA_DIR: join(dir, 'data'),
        TIEUP_KEYS_DIR: join(dir, 'keys'),
        TIEUP_ORIGINAL_DIR: fromRoot('partner-site/demo-original/north'),
        TIEUP_LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('partner did not start');
  };
  const ownLog = async (): Promise<{ size: number; latestCheckpoint: { size: number } | null }> => {
    const r = await fetch(`http://127.0.0.1:${port}/manage/api/logs`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    return (await r.json()) as { size: number; latestCheckpoint: { size: number } | null };
  };
  const committed = async (): Promise<number> => (await ownLog()).size;
  /** Polls until `ok` holds: a condition on the log's state, never a rate or a fixed time (mocha's timeout ends a hung run). */
  const untilLog = async (ok: (l: { size: number; latestCheckpoint: { size: number } | null }) => boolean) => {
    for (;;) {
      const l = await ownLog();
      if (ok(l)) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    [port] = (await freePorts(1)) as [number];
    await generateSiteKeys(join(dir, 'keys'), 'north');
    const db = openDatabase(dbFile);
    runMigrations(db, siteMigrations(PARTNER_SITE));
    const cs = new ConsoleStore(db);
    const u = cs.upsertUser('u1', 'manager', await hashPassword('correct horse battery'), 'manager');
    cs.replaceToken(u.id, 'test', sha256Hex(TEST_TOKEN));
    db.close();
  });
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('survives SIGKILL mid-load, then continues the same chain', async () => {
    await start();
    const agent = new Agent({ connections: 32 });
    let stop = false;
    let answered = 0;
    const load = Array.from({ length: 32 }, async () => {
      while (!stop) {
        try {
          const r = await request(`http://127.0.0.1:${port}/local-news`, { dispatcher: agent });
          await r.body.dump();
          answered++;
        } catch {
          return;
        }
      }
    });
    // Kill mid-stream: once a checkpoint is signed and more entries were committed after it,
    // while the load goes on. However slow the machine, the state is the same; only its timing differs.
    const seen = await untilLog((l) => l.latestCheckpoint !== null && l.size > l.latestCheckpoint.size);
    const seenCommitted = seen.size;
    child!.kill('SIGKILL');
    stop = true;
    await Promise.all(load);
    await agent.close();
    await exited(child!);
    assert.ok(answered > 0);

    // Straight from the database, as the process left it.
    const db = new Database(dbFile, { readonly: true });
    const rows = db.prepare('SELECT idx, line, leaf FROM log_entries ORDER BY idx').all() as { idx: number; line: string; leaf: Buffer }[];
    const cps = db.prepare('SELECT size, note FROM log_checkpoints ORDER BY size').all() as { size: number; note: string }[];
    db.close();
    assert.ok(rows.length >= seenCommitted, `committed entries were lost: ${rows.length} < ${seenCommitted}`);
    const tree = new MerkleTree();
    let prev = ZERO_HASH;
    rows.forEach((r, i) => {
      assert.equal(r.idx, i, 'no hole');
      const head = entryHead(r.line)!;
      assert.equal(head.index, i);
      assert.equal(head.prev, prev, `chain broken at ${i}`);
      assert.ok(entryLeaf(r.line).equals(r.leaf));
      tree.append(r.leaf);
      prev = r.leaf.toString('hex');
    });
    const kr = await loadKeyring(join(dir, 'keys'), 'north');
    const key = { name: logOrigin('north'), publicRaw: rawPublicKey(kr.current.publicJwk.x) };
    assert.ok(cps.length > 0);
    for (const c of cps) {
      const note = parseNote(c.note)!;
      assert.equal(checkNoteSignature(note, key), 'ok');
      assert.ok(c.size <= tree.size);
      assert.ok(tree.root(c.size).equals(parseCheckpoint(note.body)!.root), `checkpoint ${c.size} matches the entries`);
    }

    // Restart: the log continues from the last committed entry, on the same chain.
    await start();
    for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${port}/local-news`)).text();
    await untilLog((l) => l.size >= rows.length + 20);
    assert.equal(await committed(), rows.length + 20);
    child!.kill('SIGTERM');
    await exited(child!);
    const db2 = new Database(dbFile, { readonly: true });
    const next = db2.prepare('SELECT idx, line FROM log_entries WHERE idx = ?').get(rows.length) as { idx: number; line: string };
    db2.close();
    assert.equal(entryHead(next.line)!.prev, rows[rows.length - 1]!.leaf.toString('hex'));
  });
});
