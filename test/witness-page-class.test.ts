import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../common/paths.js';
import { openDatabase, runMigrations } from '../common/store/sqlite.js';
import { PAGE_CLASS_SQL, WitnessStore } from '../main-site/logs/witness-store.js';
import { tempDir } from './helpers/network.js';

describe('fee counting reads a page class stored per witnessed entry', function () {
  const migrations = fromRoot('main-site/logs/migrations');

  it('migration 004 classifies older rows by the expression accept() stores for new ones', () => {
    const sql = readFileSync(join(migrations, '004_entry_page_class.sql'), 'utf8');
    assert.ok(sql.includes(`SET page_class = ${PAGE_CLASS_SQL};`));
  });

  it('rows witnessed before the class existed count as they did: old shop paths as shop actions, errors, assets, other', () => {
    const dir = tempDir('page-class');
    const before = join(dir, 'm');
    mkdirSync(before);
    for (const f of ['001_witness.sql', '002_entry_columns.sql', '003_entry_content.sql']) copyFileSync(join(migrations, f), join(before, f));
    const db = openDatabase(join(dir, 'db.sqlite'));
    runMigrations(db, [{ namespace: 'logs', dir: before }]);
    const add = db.prepare("INSERT INTO witnessed_entries (site, idx, line, leaf, time, type, kind, status, user_id, path, bytes) VALUES ('north', ?, '{}', x'00', ?, 'page', ?, ?, ?, ?, 100)");
    const rows: [string, number, string][] = [
      ['original', 200, '/local-news'],
      ['original', 304, '/local-news'],
      ['tie-up', 200, '/story'],
      ['original', 200, '/cart'],
      ['original', 200, '/orders/o-1'],
      ['original', 200, '/orders/o-1/x'],
      ['tie-up', 404, '/missing'],
      ['asset', 200, '/site.css'],
      ['tie-up', 301, '/moved'],
    ];
    rows.forEach(([kind, status, path], i) => add.run(i, `2026-11-02T00:00:0${i}.000Z`, kind, status, `u${i}`, path));
    runMigrations(db, [{ namespace: 'logs', dir: migrations }]);
    const u = new WitnessStore(db).usage('north', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
    db.close();
    assert.deepEqual({ tieUp: u.tieUp, original: u.original, other: u.other }, { tieUp: 1, original: 3, other: { shopActions: 2, errors: 1, assets: 1, other: 1 } });
    assert.deepEqual(u.content, { tieUpPages: 1, originalPages: 2, tieUpBytes: 100, originalBytes: 200 });
    assert.deepEqual({ tieUp: u.answers.tieUp, original: u.answers.original }, { tieUp: 2, original: 5 });
  });
});
