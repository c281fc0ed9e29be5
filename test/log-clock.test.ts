import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Request, Response } from 'express';
import { loadKeyring, type SigningKey } from '../common/keys/keystore.js';
import { formatCheckpoint, logOrigin, parseCheckpoint, parseNote, rawPublicKey, signNote } from '../common/logchain/note.js';
import { bodyHash, MAX_LIFETIME_S, newJti, nowSeconds, RESPONSE_TOKEN_HEADER, RESPONSE_TYP, signClaims } from '../common/s2s/tokens.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { runCli } from './helpers/cli.js';
import { startFakePeer } from './helpers/fake-peer.js';
import { appendViews } from './helpers/log-bundle.js';
import { startNetwork, startSite, TEST_TOKEN, type TestNetwork } from './helpers/network.js';
import { craftToken, rawCall } from './helpers/tokens.js';

const MINUTE = 60_000;

describe('clock steps: checkpoint times never go back, a partner recovers by itself, skew errors name the clock', function () {
  this.timeout(60_000);
  let net: TestNetwork;
  let northKey: SigningKey;
  before(async () => {
    net = await startNetwork(['north'], { logShipBatch: 300, logCheckpointEntries: 256 });
    northKey = (await loadKeyring(join(net.dir, 'keys'), 'north')).current;
  });
  after(() => net.close());
  const north = () => net.partners.north!;
  const cpTime = (note: string) => parseCheckpoint(parseNote(note)!.body)!.time;

  /** Ships up to `rounds` times (the shipping timer's runs); returns the last result. */
  async function shipRounds(rounds: number) {
    let r = await shipLog(north().ctx, north().ctx.logStore);
    for (let i = 1; i < rounds && (r.error || r.acceptedSize < north().ctx.log.size); i++) r = await shipLog(north().ctx, north().ctx.logStore);
    return r;
  }

  it('a partner whose log signed checkpoints with a fast clock ships again as soon as the clock is corrected', async () => {
    // Ten minutes fast: the main site accepts these (it does not judge a partner's clock, only its order).
    north().ctx.log.now = () => new Date(Date.now() + 10 * MINUTE);
    appendViews(north().ctx, 300);
    const fast = await shipRounds(1);
    assert.equal(fast.error, undefined);
    assert.equal(fast.acceptedSize, 300);
    const fastTime = net.main.witness.store.latestCheckpoint('north')!.time;
    assert.ok(Date.parse(fastTime) > Date.now() + 9 * MINUTE);

    // Corrected: the clock steps back ten minutes.
    north().ctx.log.now = () => new Date();
    appendViews(north().ctx, 300);
    const r = await shipRounds(3);
    assert.equal(r.error, undefined, 'no time_regression');
    assert.equal(r.acceptedSize, 600);
    const latest = net.main.witness.store.latestCheckpoint('north')!;
    assert.equal(latest.size, 600);
    assert.ok(latest.time >= fastTime, 'the signer never went back in time');
    for (const cp of north().ctx.logStore.checkpoints()) assert.equal(cp.time, cpTime(cp.note));
    const times = north()
      .ctx.logStore.checkpoints()
      .map((c) => c.time);
    assert.deepEqual(times, [...times].sort(), 'times grow with sizes');
  });

  it('a partner stuck behind its own past checkpoint (one an older version signed after the clock went back) recovers by itself', async () => {
    appendViews(north().ctx, 256);
    assert.equal(north().ctx.log.size, 856);
    const dbFile = north().ctx.config.dbFile;
    await north().close();
    // What an older signer left behind: checkpoint 856 signed with the corrected clock, before the accepted one's time.
    const db = new Database(dbFile);
    const row = db.prepare('SELECT root FROM log_checkpoints WHERE size = 856').get() as { root: Buffer };
    const time = new Date().toISOString();
    const note = signNote(formatCheckpoint({ origin: logOrigin('north'), size: 856, root: row.root, time }), {
      name: logOrigin('north'),
      key: northKey.privateKey,
      publicRaw: rawPublicKey(northKey.publicJwk.x),
    });
    db.prepare('UPDATE log_checkpoints SET time = ?, note = ? WHERE size = 856').run(time, note);
    db.close();
    assert.ok(time < net.main.witness.store.latestCheckpoint('north')!.time);

    net.partners.north = await startSite('partner', 'north', net.dir, { logShipBatch: 300, logCheckpointEntries: 256 });
    const r = await shipRounds(3);
    assert.equal(r.error, undefined, 'recovered without anyone touching it');
    assert.equal(r.acceptedSize, 856);
    const stored = north().ctx.logStore.checkpointAtMost(856)!;
    assert.equal(stored.size, 856);
    assert.ok(stored.time >= net.main.witness.store.checkpointAt('north', 600)!.time);
  });

  it('says "clock" and the measured skew: at the witness, in a refused token, on the console and in `partners check` for a failing pair', async () => {
    // The witness: a checkpoint older than the accepted one.
    const accepted = net.main.witness.store.latestCheckpoint('north')!;
    const back = new Date(Date.parse(accepted.time) - 5 * MINUTE).toISOString();
    appendViews(north().ctx, 1);
    const line = north().ctx.logStore.lines(accepted.size, accepted.size + 1);
    const log = north().ctx.log;
    const next = signNote(formatCheckpoint({ origin: logOrigin('north'), size: accepted.size + 1, root: log.root(accepted.size + 1), time: back }), {
      name: logOrigin('north'),
      key: northKey.privateKey,
      publicRaw: rawPublicKey(northKey.publicJwk.x),
    });
    await assert.rejects(
      north().ctx.client.call('main', 'POST', '/s2s/logs/ship', {
        from: accepted.size,
        entries: line,
        checkpoint: next,
        proof: log.consistencyProof(accepted.size, accepted.size + 1).map((h) => h.toString('hex')),
      }),
      (e: Error & { details?: { peerCode?: string } }) => {
        assert.equal(e.details?.peerCode, 'time_regression');
        assert.match(e.message, /clock/);
        assert.match(e.message, /300 s/);
        return true;
      },
    );

    // A token from a clock two minutes fast.
    const iat = nowSeconds() + 120;
    const r = await rawCall(net.main.url, { authorization: `Bearer ${await craftToken(northKey, { iat, exp: iat + 60 })}` });
    assert.equal(r.status, 401);
    assert.equal(r.body!.error!.code, 'issued_in_future');
    assert.match(r.body!.error!.message, /clock/);
    assert.match(r.body!.error!.message, /1[12]\d s/);

    // A north whose clock is ten minutes slow answers hello with a response signed at its time.
    const fake = await startFakePeer(north(), (router) => {
      router.post('/hello', (req: Request, res: Response) => {
        const body = Buffer.from(
          JSON.stringify({
            protocolVersion: 1,
            caller: { id: 'main', kid: req.s2s!.callerKid },
            callee: { id: 'north', role: 'partner' },
            serverTime: new Date(Date.now() - 10 * MINUTE).toISOString(),
          }),
        );
        const at = nowSeconds() - 600;
        const token = signClaims(northKey, RESPONSE_TYP, { iss: 'north', aud: 'main', iat: at, exp: at + MAX_LIFETIME_S, jti: newJti(), rjti: req.s2s!.claims.jti, sts: 200, bh: bodyHash(body) });
        res.status(200).set(RESPONSE_TOKEN_HEADER, token).type('application/json').send(body);
      });
    });
    const northUrl = north().url;
    net.main.ctx.peers.setBaseUrl('north', fake.url);
    try {
      const c = await runCli(['partners', 'check', '--url', net.main.url], { TIEUP_TOKEN: TEST_TOKEN });
      assert.equal(c.code, 1, c.stdout + c.stderr);
      const failing = c.stdout.split('\n').find((l) => l.startsWith('main -> north'))!;
      assert.match(failing, /FAIL/);
      assert.match(failing, /clock skew -(59\d|60\d)\d{3} ms/, failing);
      assert.match(failing, /clock: /);

      // The console shows the same: the last hello names the clock and keeps the skew.
      const p = (await (await fetch(`${net.main.url}/admin/api/partners`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as {
        partners: { id: string; lastHello: { ok: boolean; message: string; skewMs?: number } }[];
      };
      const hello = p.partners.find((x) => x.id === 'north')!.lastHello;
      assert.equal(hello.ok, false);
      assert.match(hello.message, /clock/);
      assert.ok(hello.skewMs! < -590_000 && hello.skewMs! > -610_000, String(hello.skewMs));
    } finally {
      net.main.ctx.peers.setBaseUrl('north', northUrl);
      await fake.close();
    }
  });
});
