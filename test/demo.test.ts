import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { tempDir } from './helpers/network.js';
import { freePorts, runCli, TIEUP_BIN } from './helpers/cli.js';

describe('the demo network (what npm start runs)', function () {
  this.timeout(60000);
  const dir = tempDir('tieup-demo-');
  const token = 'demo-test-token-0123456789';
  let child: ChildProcess;
  let out = '';
  let ports: number[];

  before(async () => {
    ports = await freePorts(3);
    child = spawn(process.execPath, [TIEUP_BIN, 'demo'], {
      env: { ...process.env, TIEUP_DEMO_PORTS: ports.join(','), TIEUP_DATA_DIR: join(dir, 'data'), TIEUP_KEYS_DIR: join(dir, 'keys'), TIEUP_DEMO_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 45000;
    while (!out.includes('Ctrl-C stops all three')) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`demo did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URLs and the demo logins', () => {
    for (const p of ports) assert.ok(out.includes(`http://127.0.0.1:${p}`));
    assert.match(out, /login operator \/ tieup-demo-operator/);
    assert.match(out, /login manager \/ tieup-demo-manager/);
    assert.ok(out.includes(token));
  });

  it('answers /healthz on all three sites, JWKS without private parts, and 401 JSON for an unsigned s2s call', async () => {
    for (const p of ports) assert.equal((await fetch(`http://127.0.0.1:${p}/healthz`)).status, 200);
    const jwks = (await (await fetch(`http://127.0.0.1:${ports[1]}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys[0]!.kty, 'OKP');
    assert.equal(jwks.keys[0]!.crv, 'Ed25519');
    assert.equal('d' in jwks.keys[0]!, false);
    const r = await fetch(`http://127.0.0.1:${ports[1]}/s2s/hello`, { method: 'POST' });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'missing_token');
  });

  it('tieup partners check passes for every pair', async () => {
    const r = await runCli(['partners', 'check', '--url', `http://127.0.0.1:${ports[0]}`], { TIEUP_DEMO_TOKEN: token });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/ OK /g) ?? []).length, 4);
  });

  it('stops all three cleanly on Ctrl-C (SIGINT)', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.match(out, /All three sites stopped/);
    for (const p of ports) await assert.rejects(fetch(`http://127.0.0.1:${p}/healthz`));
  });
});
