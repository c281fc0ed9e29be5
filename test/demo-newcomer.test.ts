import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromRoot } from '../common/paths.js';
import { tempDir } from './helpers/network.js';
import { freePorts, runCli, TIEUP_BIN } from './helpers/cli.js';

/** Every file under a folder with its bytes' hash: what "left untouched" means. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const full = join(d, n);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const SHIPPED = ['main-site/demo-content', 'partner-site/demo-original', 'partner-site/demo-ads'];

describe('the demo on moved ports, as a newcomer follows the README', function () {
  this.timeout(90000);
  const dir = tempDir('tieup-newcomer-');
  const data = join(dir, 'data');
  const token = 'newcomer-test-token-0123456789';
  let child: ChildProcess;
  let out = '';
  let ports: number[];
  const shipped = Object.fromEntries(SHIPPED.map((d) => [d, fingerprint(fromRoot(d))]));

  before(async () => {
    ports = await freePorts(3);
    // No TIEUP_DEMO_CONTENT_DIR: the demo chooses its own folders, as `npm start` does.
    child = spawn(process.execPath, [TIEUP_BIN, 'demo'], {
      env: { ...process.env, TIEUP_DEMO_PORTS: ports.join(','), TIEUP_DATA_DIR: data, TIEUP_KEYS_DIR: join(dir, 'keys'), TIEUP_DEMO_TOKEN: token, TIEUP_DEMO_CONTENT_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 45000;
    while (!out.includes('Ctrl-C stops every site')) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`demo did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (cond: () => Promise<boolean> | boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const page = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  const logLines = (site: string) =>
    readFileSync(join(data, 'logs', `${site}.log`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; event?: string; msg?: string });

  it('starts quietly: partners log no warning while the main site starts, and print nothing on the terminal', async () => {
    await until(
      () => ['north', 'south'].every((s) => existsSync(join(data, 'logs', `${s}.log`)) && logLines(s).some((l) => l.event === 'listening' || /listening/i.test(l.msg ?? ''))),
      10000,
      'partner logs',
    );
    for (const site of ['north', 'south']) {
      const warnings = logLines(site).filter((l) => l.level >= 40);
      assert.deepEqual(warnings, [], `${site} warned at start`);
    }
    assert.doesNotMatch(out, /^\[(main|north|south)\]/m);
  });

  it('the banner sets what the README uses and its commands carry --url on moved ports; they work as printed', async () => {
    const mainUrl = `http://127.0.0.1:${ports[0]}`;
    assert.ok(out.includes(`export TIEUP_DEMO_TOKEN=${token} MAIN=${mainUrl} NORTH=http://127.0.0.1:${ports[1]} SOUTH=http://127.0.0.1:${ports[2]}`), out);
    const commands = out.split('\n').filter((l) => /^\s+npx tieup /.test(l));
    assert.ok(commands.length >= 2, out);
    for (const c of commands) {
      assert.ok(c.includes(`--url ${mainUrl}`), c);
      const r = await runCli(c.trim().split(/\s+/).slice(2), { TIEUP_DEMO_TOKEN: token });
      assert.equal(r.code, 0, `${c}\n${r.stdout}${r.stderr}`);
    }
  });

  it("copies the demo content into data/demo, serves edits made there, and leaves the checkout's demo folders byte for byte as they were", async () => {
    const content = join(data, 'demo', 'content');
    // Planned pages publish the demo planner's page into folders of their own in the copy (docs/planned-pages.md).
    const shippedPart = (f: Record<string, string>) => Object.fromEntries(Object.entries(f).filter(([k]) => !/^(pages\/planned|assets\/planned|pages\/planners)\//.test(k)));
    assert.deepEqual(shippedPart(fingerprint(content)), shipped['main-site/demo-content']);
    // The partners' own ads (partner-site/demo-ads/<site>) join the copy only, as <site>/ads/.
    const originals = fingerprint(join(data, 'demo', 'original'));
    const ownAds = /^[^/]+\/ads\//;
    assert.deepEqual(Object.fromEntries(Object.entries(originals).filter(([k]) => !ownAds.test(k))), shipped['partner-site/demo-original']);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(originals)
          .filter(([k]) => ownAds.test(k))
          .map(([k, v]) => [k.replace('/ads/', '/'), v]),
      ),
      shipped['partner-site/demo-ads'],
    );
    assert.match(out, /edit \S*demo\/content\/pages\/about.md and save/, 'the banner names the copy to edit');

    const about = join(content, 'pages', 'about.md');
    writeFileSync(about, readFileSync(about, 'utf8').replace('since 1998', 'since 1998, EDITED-IN-DATA'));
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await until(
      async () => ((await (await fetch(`http://127.0.0.1:${ports[0]}/admin/api/releases`, { headers: auth })).json()) as { releases: unknown[] }).releases.length >= 2,
      15000,
      'the watcher publishing the edit',
    );
    await fetch(`http://127.0.0.1:${ports[0]}/admin/api/partners/north/push`, { method: 'POST', headers: auth, body: '{}' });
    await until(async () => /EDITED-IN-DATA/.test(await page(ports[1]!, '/about')), 15000, 'north serving the edit');

    const news = join(data, 'demo', 'original', 'north', 'local-news.md');
    writeFileSync(news, readFileSync(news, 'utf8') + '\nORIGINAL-EDITED-IN-DATA\n');
    await until(async () => /ORIGINAL-EDITED-IN-DATA/.test(await page(ports[1]!, '/local-news')), 15000, 'north serving its edited original page');

    for (const d of SHIPPED) assert.deepEqual(fingerprint(fromRoot(d)), shipped[d], `${d} changed`);
    const git = spawnSync('git', ['status', '--porcelain', '--', ...SHIPPED], { cwd: fromRoot('.'), encoding: 'utf8' });
    if (git.status === 0) assert.equal(git.stdout, '');
  });
});
