import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError } from '../common/errors.js';
import { fromRoot } from '../common/paths.js';
import {
  ALL_ENDPOINTS,
  LOGS_SHIP,
  SHOP_ORDER_BY_KEY,
  SHOP_PARTNER_ORDERS,
  SHOP_STATE,
  SYNC_BLOBS,
  SYNC_OFFER,
  SYNC_STATUS,
  defineEndpoint,
  errorsOf,
  pathFor,
  requestProblem,
  validatedBy,
  type AnyEndpoint,
} from '../common/protocol/index.js';
import { S2SCallError, S2SClient, peerErrorCode, type S2SResponse } from '../common/s2s/client.js';
import { s2sEndpoint, s2sRoute } from '../common/s2s/middleware.js';
import { bodyHash } from '../common/s2s/tokens.js';
import type { RunningSite } from '../common/site/runner.js';
import { rotateSiteKeys } from '../common/keys/keystore.js';
import { shipLog } from '../partner-site/logs/shipper.js';
import { ADS_VIEW } from '../common/protocol/ads.js';
import { adsModule } from '../main-site/ads/index.js';
import { captureLogger, startFakePeer, type FakePeer } from './helpers/fake-peer.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { Shopper } from './helpers/shopper.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';
import { craftToken, rawCall } from './helpers/tokens.js';

/** A declaration only these tests know: a transforming body, a typed path parameter, one code of its own. */
const ECHO = defineEndpoint({
  name: 'test.echo',
  method: 'POST',
  path: '/s2s/test/echo/:n',
  params: z.strictObject({
    n: z
      .string()
      .regex(/^\d{1,3}$/)
      .transform(Number),
  }),
  request: z.strictObject({
    word: z
      .string()
      .min(1)
      .max(20)
      .transform((w) => w.toUpperCase()),
    tags: z.array(z.string().max(10)).max(3),
  }),
  response: z.strictObject({ shout: z.string().max(20), n: z.int(), from: z.string() }),
  errors: ['word_refused'],
  callers: 'main',
});
const PARTNERS_ONLY = defineEndpoint({
  name: 'test.partners-only',
  method: 'POST',
  path: '/s2s/test/partners-only',
  request: z.strictObject({}),
  response: z.strictObject({}),
  errors: [],
  callers: 'partner',
});
const CODED = defineEndpoint({
  name: 'test.coded',
  method: 'POST',
  path: '/s2s/test/coded',
  request: z.strictObject({
    declared: validatedBy<string, string>(
      (v) => {
        if (v !== 'ok') throw Object.assign(new Error('not ok'), { code: 'not_ok' });
        return v;
      },
      (e) => (e as { code?: string }).code,
    ).optional(),
    undeclared: validatedBy<string, string>(
      () => {
        throw Object.assign(new Error('never'), { code: 'secret_code' });
      },
      (e) => (e as { code?: string }).code,
    ).optional(),
  }),
  response: z.strictObject({}),
  errors: ['not_ok'],
  callers: 'any',
});
const SLOW = defineEndpoint({ name: 'test.slow', method: 'POST', path: '/s2s/test/slow', request: z.strictObject({}), response: z.strictObject({}), errors: [], callers: 'any' });

const callError = (code: string, check?: (e: S2SCallError) => void) => (err: unknown) => {
  assert.ok(err instanceof S2SCallError, `expected an S2SCallError, got ${String(err)}`);
  assert.equal(err.clientCode, code, err.message);
  check?.(err);
  return true;
};
const peerRefusal = (status: number, code: string, message?: RegExp | string) =>
  callError('peer_error', (e) => {
    assert.equal(e.details?.status, status);
    assert.equal(e.details?.peerCode, code);
    const m = (e.details?.body as { error: { message: string } }).error.message;
    if (typeof message === 'string') assert.equal(m, message);
    else if (message) assert.match(m, message);
  });

/** A client of `site` that logs to a capture, for reading what a refused answer left in the log. */
function capturingClient(site: RunningSite) {
  const { logger, lines } = captureLogger(site.ctx.config.siteId);
  const client = new S2SClient({ selfId: site.ctx.config.siteId, peers: site.ctx.peers, keyring: site.ctx.keyring, metrics: site.ctx.metrics, logger });
  return { client, lines };
}

describe('protocol: every /s2s/ endpoint declared once, parsed at both ends', function () {
  this.timeout(60000);

  describe('the declarations', () => {
    it('every path starts with /s2s/, and every (method, path) and every name is declared exactly once', () => {
      const routes = ALL_ENDPOINTS.map((e) => `${e.method} ${e.path}`);
      const names = ALL_ENDPOINTS.map((e) => e.name);
      for (const e of ALL_ENDPOINTS) assert.ok(e.path.startsWith('/s2s/'), `${e.name}: ${e.path}`);
      assert.deepEqual(
        routes.filter((r, i) => routes.indexOf(r) !== i),
        [],
        'a route declared twice',
      );
      assert.deepEqual(
        names.filter((n, i) => names.indexOf(n) !== i),
        [],
        'a name declared twice',
      );
      // The one shared path is two endpoints on two different servers.
      const shared = ALL_ENDPOINTS.filter((e) => e.path === '/s2s/shop/orders').map((e) => `${e.method} ${e.callers}`);
      assert.deepEqual(shared.sort(), ['GET main', 'POST partner']);
    });

    it('pathFor is the one builder of /s2s/ paths: it fills, encodes and checks parameters', () => {
      assert.equal(pathFor(SYNC_BLOBS, { release: 42 }), '/s2s/sync/blobs/42');
      assert.equal(pathFor(SYNC_STATUS), '/s2s/sync/status');
      assert.throws(() => pathFor(SYNC_BLOBS, { release: 0 }), /release: a release number is a positive integer/);
      assert.throws(() => pathFor(SYNC_BLOBS, { release: '1/../../hello' }), /release/);
      assert.throws(() => pathFor(SYNC_BLOBS, {} as { release: number }), /release is missing/);
      assert.equal(pathFor(ECHO, { n: '7' }), '/s2s/test/echo/7');
    });

    it('refuses a malformed declaration when its module loads', () => {
      const base = { name: 'x.y', method: 'POST', path: '/s2s/x', request: 'none', response: z.null(), errors: [], callers: 'any' } as const;
      assert.throws(() => defineEndpoint({ ...base, path: '/api/x' as '/s2s/x' }), /must start with \/s2s\//);
      assert.throws(() => defineEndpoint({ ...base, name: 'nodots' }), /dotted/);
      assert.throws(() => defineEndpoint({ ...base, errors: ['invalid_body'] }), /common to every endpoint/);
      assert.throws(() => defineEndpoint({ ...base, errors: ['a', 'a'] }), /listed twice/);
      assert.throws(() => defineEndpoint({ ...base, method: 'GET', request: z.strictObject({}) }), /GET carries no body/);
      // Types already refuse these; the runtime check covers declarations built from `any`.
      assert.throws(() => defineEndpoint({ ...base, path: '/s2s/x/:id' } as never), /params must be an object schema with exactly the keys id/);
    });

    it('lists the codes each server may answer with, its own and the shared ones', () => {
      assert.deepEqual(
        errorsOf(SYNC_BLOBS).sort(),
        [
          'answer_invalid',
          'bad_frames',
          'disk_full',
          'hash_mismatch',
          'internal',
          'invalid_body',
          'invalid_encoding',
          'invalid_json',
          'invalid_params',
          'unsupported_media_type',
          'not_main_site',
          'not_receiving',
          'size_mismatch',
          'unexpected_blob',
        ].sort(),
      );
      assert.ok(errorsOf(LOGS_SHIP).includes('not_a_partner'));
      assert.ok(errorsOf(SYNC_OFFER).includes('bad_path'));
    });

    it('no /s2s/ path literal, no unchecked call<T> and no undeclared s2sRoute outside common/protocol/ (and common/s2s/ for s2sRoute)', () => {
      const offenders: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const full = join(dir, name);
          if (statSync(full).isDirectory()) {
            if (full !== fromRoot('common', 'protocol')) walk(full);
          } else if (name.endsWith('.ts')) {
            readFileSync(full, 'utf8')
              .split('\n')
              .forEach((line, i) => {
                // Any quote: '/s2s/..., "/s2s/..., `/s2s/...; and the unchecked client.call(...).
                const undeclaredRoute = /\bs2sRoute\(/.test(line) && !full.startsWith(fromRoot('common', 's2s'));
                if (/['"`]\/s2s\//.test(line) || /\bclient\.call(<[^>]*>)?\(/.test(line) || undeclaredRoute) offenders.push(`${relative(fromRoot(), full)}:${i + 1}: ${line.trim()}`);
              });
          }
        }
      };
      for (const top of ['main-site', 'partner-site', 'common']) walk(fromRoot(top));
      assert.deepEqual(offenders, []);
    });
  });

  describe('a declared route: parsed, typed body in; refusals signed and before the handler', () => {
    let net: TestNetwork;
    let fake: FakePeer;
    let server: ReturnType<typeof captureLogger>;
    let caller: ReturnType<typeof capturingClient>;
    let northUrl: string;
    const runs: { name: string; body: unknown; params: unknown; from: string }[] = [];
    const ran = (name: string) => runs.filter((r) => r.name === name).length;

    before(async () => {
      net = await startNetwork(['north']);
      server = captureLogger('north');
      fake = await startFakePeer(
        net.partners.north!,
        (router, deps) => {
          s2sEndpoint(router, deps, ECHO, (s2s, body, params) => {
            runs.push({ name: 'echo', body, params, from: s2s.peer.id });
            if (body.word === 'REFUSE') throw new AppError(409, 'word_refused', 'not that word');
            if (body.word === 'SURPRISE') throw new AppError(409, 'surprise', 'an undeclared code');
            // A server that breaks its own declaration: the cast stands for any bug that types would not catch.
            if (body.word === 'LIE') return { body: { shout: 5, n: params.n, from: s2s.peer.id } as never };
            return { status: 201, body: { shout: body.word, n: params.n, from: s2s.peer.id } };
          });
          s2sEndpoint(router, deps, PARTNERS_ONLY, () => {
            runs.push({ name: 'partners-only', body: null, params: null, from: '' });
            return { body: {} };
          });
          s2sEndpoint(router, deps, CODED, () => {
            runs.push({ name: 'coded', body: null, params: null, from: '' });
            return { body: {} };
          });
          s2sEndpoint(router, deps, SLOW, async () => {
            await sleep(600);
            return { body: {} };
          });
          s2sEndpoint(router, deps, SYNC_OFFER, () => {
            runs.push({ name: 'offer', body: null, params: null, from: '' });
            return { body: { need: [], state: 'receiving', activeRelease: null, activeRoot: null, pendingRelease: null, originalPaths: [] } };
          });
          s2sEndpoint(router, deps, SYNC_BLOBS, (_s2s, body, params) => {
            runs.push({ name: 'blobs', body: body.length, params, from: '' });
            return { body: { stored: 0 } };
          });
        },
        server.logger,
      );
      northUrl = net.main.ctx.peers.get('north')!.baseUrl;
      net.main.ctx.peers.setBaseUrl('north', fake.url);
      caller = capturingClient(net.main);
    });
    after(async () => {
      net.main.ctx.peers.setBaseUrl('north', northUrl);
      await caller.client.close();
      await fake.close();
      await net.close();
    });

    it('(a) the handler gets the parsed body and typed parameters; the caller gets the parsed answer', async () => {
      const r = await caller.client.send('north', ECHO, { word: 'hello', tags: ['x'] }, { n: 7 });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body, { shout: 'HELLO', n: 7, from: 'main' });
      const last = runs.at(-1)!;
      assert.deepEqual(last.body, { word: 'HELLO', tags: ['x'] }, 'the transform ran before the handler');
      assert.deepEqual(last.params, { n: 7 }, 'the path parameter arrives parsed as a number');
      assert.equal(last.from, 'main');
    });

    it('(b) a malformed body is a signed 400 invalid_body naming the field, and the handler never runs', async () => {
      const before = ran('echo');
      const path = pathFor(ECHO, { n: 1 });
      // call() sends unchecked; peer_error (not response_unsigned) means the refusal was signed and verified.
      await assert.rejects(caller.client.call('north', 'POST', path, { word: 5, tags: [] }), peerRefusal(400, 'invalid_body', 'word: Invalid input: expected string, received number'));
      await assert.rejects(caller.client.call('north', 'POST', path, { word: 'hi', tags: ['a', 'b', 'c', 'd'] }), peerRefusal(400, 'invalid_body', /^tags: Too big/));
      await assert.rejects(caller.client.call('north', 'POST', path, { word: 'hi', tags: [], admin: true }), peerRefusal(400, 'invalid_body', 'admin: Unrecognized key: "admin"'));
      await assert.rejects(caller.client.call('north', 'POST', path, { word: 'hi', tags: [7] }), peerRefusal(400, 'invalid_body', 'tags[0]: Invalid input: expected string, received number'));
      await assert.rejects(caller.client.call('north', 'POST', path), peerRefusal(400, 'invalid_body', /^body: /));
      await assert.rejects(caller.client.call('north', 'POST', path, Buffer.from('{}')), peerRefusal(415, 'unsupported_media_type', 'body: this endpoint takes a JSON body (application/json)'));
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/test/echo/abc', { word: 'hi', tags: [] }), peerRefusal(400, 'invalid_params', /^n: /));
      assert.equal(ran('echo'), before);
    });

    it('(b) a body that is not JSON is refused signed too (invalid_json), before the handler', async () => {
      const before = ran('echo');
      const path = pathFor(ECHO, { n: 1 });
      const body = '{"word": "hi",';
      const token = await craftToken(net.main.ctx.keyring().current, { iss: 'main', aud: 'north', htu: path, bh: bodyHash(Buffer.from(body)) });
      const r = await rawCall(fake.url, { path, body, authorization: `Bearer ${token}` });
      assert.equal(r.status, 400);
      assert.equal(r.body?.error?.code, 'invalid_json');
      assert.ok(r.headers['tieup-response-token'], 'the refusal is signed');
      assert.equal(ran('echo'), before);
    });

    it('(b) a role the declaration does not admit is refused with 403 before the handler', async () => {
      await assert.rejects(caller.client.send('north', PARTNERS_ONLY, {}), peerRefusal(403, 'not_a_partner', 'only partners may call test.partners-only'));
      assert.equal(ran('partners-only'), 0);
    });

    it('(b) a domain validator keeps its own stable code when the endpoint declares it (a manifest path: bad_path)', async () => {
      const root = 'a'.repeat(64);
      const entry = { path: 'pages/../../etc/passwd', sha256: 'b'.repeat(64), size: 3, kind: 'page' };
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/sync/offer', { release: 9, root, manifest: [entry] }), peerRefusal(400, 'bad_path', /^manifest: refused path/));
      await assert.rejects(
        caller.client.call('north', 'POST', '/s2s/sync/offer', { release: 9, root, manifest: [{ ...entry, path: 'pages/x.md', size: 6 * 1024 * 1024 }] }),
        peerRefusal(400, 'too_large'),
      );
      // Structure the release format does not own is invalid_body.
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/sync/offer', { release: 0, root, manifest: [] }), peerRefusal(400, 'invalid_body', /^release: /));
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/test/coded', { declared: 'no' }), peerRefusal(400, 'not_ok', 'declared: not ok'));
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/test/coded', { undeclared: 'x' }), peerRefusal(400, 'invalid_body', 'undeclared: never'));
      assert.equal(ran('offer') + ran('coded'), 0);
    });

    it('(b) a binary endpoint takes bytes and a typed parameter, and refuses JSON', async () => {
      const r = await caller.client.send('north', SYNC_BLOBS, Buffer.from([1, 2, 3]), { release: 5 });
      assert.deepEqual(r.body, { stored: 0 });
      assert.deepEqual(runs.at(-1), { name: 'blobs', body: 3, params: { release: 5 }, from: '' });
      await assert.rejects(
        caller.client.call('north', 'POST', '/s2s/sync/blobs/5', { frames: [] }),
        peerRefusal(415, 'unsupported_media_type', 'body: this endpoint takes application/octet-stream bytes'),
      );
      await assert.rejects(caller.client.call('north', 'POST', '/s2s/sync/blobs/05', Buffer.from([1])), peerRefusal(400, 'invalid_params'));
    });

    it('the server does not send an answer that breaks its own declaration: 500 answer_invalid, logged with the field', async () => {
      await assert.rejects(
        caller.client.send('north', ECHO, { word: 'lie', tags: [] }, { n: 1 }),
        peerRefusal(500, 'answer_invalid', /test\.echo.*shout: Invalid input: expected string, received number/),
      );
      const logged = server.lines.find((l) => l.event === 's2s_answer_invalid');
      assert.ok(logged, 'the server logged its broken answer');
      assert.equal(logged.endpoint, 'test.echo');
      assert.equal(logged.peer, 'main');
      assert.match(String(logged.reason), /^shout: /);
    });

    it('a refusal with a declared code is typed at the caller; an undeclared one still arrives, and the server logs it', async () => {
      const declared = await caller.client.send('north', ECHO, { word: 'refuse', tags: [] }, { n: 1 }).catch((e: unknown) => e);
      assert.equal(peerErrorCode(declared, ECHO), 'word_refused');
      const undeclared = await caller.client.send('north', ECHO, { word: 'surprise', tags: [] }, { n: 1 }).catch((e: unknown) => e);
      assert.equal((undeclared as S2SCallError).details?.peerCode, 'surprise');
      assert.equal(peerErrorCode(undeclared, ECHO), undefined);
      assert.ok(server.lines.some((l) => l.event === 's2s_undeclared_error' && l.code === 'surprise' && l.endpoint === 'test.echo'));
    });

    it('the caller sends nothing that breaks the declaration (request_invalid), path parameters included', async () => {
      const before = ran('echo');
      await assert.rejects(
        caller.client.send('north', ECHO, { word: 'x'.repeat(21), tags: [] }, { n: 1 }),
        callError('request_invalid', (e) => assert.match(e.message, /word: Too big/)),
      );
      await assert.rejects(
        caller.client.send('north', ECHO, { word: 'x', tags: [] }, { n: 'abc' }),
        callError('request_invalid', (e) => assert.match(e.message, /path parameter n: /)),
      );
      // @ts-expect-error a body the types refuse is refused at run time too
      await assert.rejects(caller.client.send('north', SYNC_BLOBS, { frames: [] }, { release: 1 }), callError('request_invalid'));
      assert.equal(ran('echo'), before);
    });

    it('timeoutMs gives up on the whole exchange: peer_unreachable, said plainly', async () => {
      const t0 = Date.now();
      await assert.rejects(
        caller.client.send('north', SLOW, {}, undefined, { timeoutMs: 150 }),
        callError('peer_unreachable', (e) => assert.match(e.message, /no answer from "north" within 150 ms/)),
      );
      assert.ok(Date.now() - t0 < 550, 'did not wait for the answer');
    });
  });

  describe('(c) a peer answer that does not match its declaration is refused at the caller with a typed error', () => {
    let net: TestNetwork;
    let fakeNorth: FakePeer;
    let fakeMain: FakePeer;
    let fromMain: ReturnType<typeof capturingClient>;
    let fromNorth: ReturnType<typeof capturingClient>;
    /** What the fake peers answer next, per route. */
    const answers = new Map<string, unknown>();
    let urls: { north: string; main: string };
    const goodStatus = {
      activeRelease: 3,
      activeRoot: 'a'.repeat(64),
      pendingRelease: null,
      originalPaths: ['/', '/contact'],
      expectedRoot: 'a'.repeat(64),
      servingRoot: 'a'.repeat(64),
      emergencyEdits: 0,
    };
    const goodOrder = {
      id: 'b9d5e1f2-0000-4000-8000-000000000001',
      number: 'NORTH-000001',
      site: 'north',
      mode: 'local',
      state: 'accepted',
      lines: [{ productId: 'mug-ti', name: 'Titanium mug', qty: 1, unitPrice: 2450, fromStock: true }],
      handlingFee: 0,
      total: 2450,
      currency: 'EUR',
      settlement: 'pickup',
      warehouse: 'shop',
      userId: 'u1',
      userEmail: 'a@b.example',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      mainId: null,
      mainNumber: null,
      cancelLogged: false,
    };
    const goodShip = { acceptedSize: 10, cosignature: '— tieup-witness/main AAAA', witness: 'tieup-witness/main' };

    before(async () => {
      net = await startNetwork(['north']);
      // The fakes answer through the real signing middleware, but with whatever body the test sets.
      fakeNorth = await startFakePeer(net.partners.north!, (router, deps) => {
        router.post(
          '/sync/status',
          s2sRoute(deps, () => ({ body: answers.get('status') })),
        );
        router.post(
          '/sync/offer',
          s2sRoute(deps, () => ({ body: answers.get('offer') })),
        );
        router.get(
          '/shop/orders',
          s2sRoute(deps, () => ({ body: answers.get('orders') })),
        );
      });
      fakeMain = await startFakePeer(net.main, (router, deps) => {
        router.post(
          '/logs/ship',
          s2sRoute(deps, () => ({ body: answers.get('ship') })),
        );
        router.get(
          '/shop/state',
          s2sRoute(deps, () => ({ body: answers.get('state') })),
        );
      });
      urls = { north: net.main.ctx.peers.get('north')!.baseUrl, main: net.partners.north!.ctx.peers.get('main')!.baseUrl };
      net.main.ctx.peers.setBaseUrl('north', fakeNorth.url);
      net.partners.north!.ctx.peers.setBaseUrl('main', fakeMain.url);
      fromMain = capturingClient(net.main);
      fromNorth = capturingClient(net.partners.north!);
    });
    after(async () => {
      net.main.ctx.peers.setBaseUrl('north', urls.north);
      net.partners.north!.ctx.peers.setBaseUrl('main', urls.main);
      await Promise.all([fromMain.client.close(), fromNorth.client.close(), fakeNorth.close(), fakeMain.close()]);
      await net.close();
    });

    /** Refused with response_invalid naming the field, and logged by the caller with the peer's id. */
    const refused = async (p: Promise<unknown>, lines: Record<string, unknown>[], peer: string, field: RegExp) => {
      const before = lines.length;
      await assert.rejects(
        p,
        callError('response_invalid', (e) => assert.match(e.message, field)),
      );
      const logged = lines.slice(before).find((l) => l.event === 's2s_call_failed');
      assert.ok(logged, 'the refusal is logged');
      assert.equal(logged.peer, peer);
      assert.equal(logged.code, 'response_invalid');
      assert.match(String(logged.reason), field);
    };

    it('sync status: the real answer shape is accepted; a wrong one is refused, naming the field', async () => {
      answers.set('status', goodStatus);
      assert.deepEqual((await fromMain.client.send('north', SYNC_STATUS, {})).body, goodStatus);
      answers.set('status', { ...goodStatus, activeRelease: '3' });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /to sync\.status: activeRelease: Invalid input: expected number, received string/);
      answers.set('status', { ...goodStatus, servingRoot: undefined });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /servingRoot: /);
      answers.set('status', { ...goodStatus, extra: { anything: true } });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /extra: Unrecognized key/);
    });

    it("sync status: a partner's originalPaths must be an array of bounded path strings", async () => {
      answers.set('status', { ...goodStatus, originalPaths: '/contact' });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /originalPaths: /);
      answers.set('status', { ...goodStatus, originalPaths: ['/ok', '../../etc/passwd'] });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /originalPaths\[1\]: an original page path/);
      answers.set('status', { ...goodStatus, originalPaths: ['/' + 'a'.repeat(600)] });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /originalPaths\[0\]: Too big/);
      answers.set('status', { ...goodStatus, originalPaths: Array.from({ length: 20_001 }, (_, i) => `/p${i}`) });
      await refused(fromMain.client.send('north', SYNC_STATUS, {}), fromMain.lines, 'north', /originalPaths: Too big/);
    });

    it('sync offer: the hashes a partner asks for must be hashes, and its state a release state', async () => {
      const offer = { release: 4, root: 'c'.repeat(64), manifest: [] };
      answers.set('offer', { need: ['d'.repeat(64)], state: 'receiving', ...goodStatus });
      await assert.rejects(
        fromMain.client.send('north', SYNC_OFFER, offer),
        callError('response_invalid', (e) => assert.match(e.message, /expectedRoot: Unrecognized key/)),
      );
      const good = { need: ['d'.repeat(64)], state: 'receiving', activeRelease: 3, activeRoot: 'a'.repeat(64), pendingRelease: null, originalPaths: [] };
      answers.set('offer', good);
      assert.deepEqual((await fromMain.client.send('north', SYNC_OFFER, offer)).body, good);
      answers.set('offer', { ...good, need: ['../../secrets'] });
      await refused(fromMain.client.send('north', SYNC_OFFER, offer), fromMain.lines, 'north', /need\[0\]: expected 64 lowercase hex digits/);
      answers.set('offer', { ...good, state: 'hacked' });
      await refused(fromMain.client.send('north', SYNC_OFFER, offer), fromMain.lines, 'north', /state: /);
    });

    it("shop: the partner's order list and the main site's stock and terms are refused when they break their declarations", async () => {
      answers.set('orders', { orders: [goodOrder] });
      assert.equal((await fromMain.client.send('north', SHOP_PARTNER_ORDERS, undefined)).body.orders[0]!.number, 'NORTH-000001');
      answers.set('orders', { orders: [{ ...goodOrder, total: -5 }] });
      await refused(fromMain.client.send('north', SHOP_PARTNER_ORDERS, undefined), fromMain.lines, 'north', /orders\[0\]\.total: Too small/);
      answers.set('orders', { orders: [{ ...goodOrder, idempotencyKey: 'leaked' }] });
      await refused(fromMain.client.send('north', SHOP_PARTNER_ORDERS, undefined), fromMain.lines, 'north', /orders\[0\]\.idempotencyKey: Unrecognized key/);
      answers.set('orders', { orders: Array.from({ length: 201 }, () => goodOrder) });
      await refused(fromMain.client.send('north', SHOP_PARTNER_ORDERS, undefined), fromMain.lines, 'north', /orders: Too big/);

      const state = { stock: { 'mug-ti': 4 }, contract: { shop: { v: 1, handling: { default: 'entrust', rules: [] } } }, time: '2026-01-01T00:00:00.000Z' };
      answers.set('state', state);
      assert.deepEqual((await fromNorth.client.send('main', SHOP_STATE, undefined)).body.contract, state.contract, 'the contract arrives as sent, slices checked by the partner terms');
      answers.set('state', { ...state, stock: { 'mug-ti': -1 } });
      await refused(fromNorth.client.send('main', SHOP_STATE, undefined), fromNorth.lines, 'main', /stock\["mug-ti"\]: Too small/);
      answers.set('state', { ...state, contract: { shop: 'entrust' } });
      await refused(fromNorth.client.send('main', SHOP_STATE, undefined), fromNorth.lines, 'main', /contract\.shop: /);
    });

    it('logs: the cosignature answer must carry a size, a cosignature and a witness', async () => {
      const ship = { from: 0, entries: [], checkpoint: 'x', proof: [] };
      answers.set('ship', goodShip);
      assert.deepEqual((await fromNorth.client.send('main', LOGS_SHIP, ship)).body, goodShip);
      answers.set('ship', { ...goodShip, acceptedSize: -1 });
      await refused(fromNorth.client.send('main', LOGS_SHIP, ship), fromNorth.lines, 'main', /to logs\.ship: acceptedSize: Too small/);
      answers.set('ship', { acceptedSize: 10 });
      await refused(fromNorth.client.send('main', LOGS_SHIP, ship), fromNorth.lines, 'main', /cosignature: /);
      answers.set('ship', null);
      await refused(fromNorth.client.send('main', LOGS_SHIP, ship), fromNorth.lines, 'main', /body: /);
    });
  });
});

/** The endpoint a (method, concrete path) is for, by the declared path patterns. */
function endpointFor(method: string, path: string): AnyEndpoint | undefined {
  return ALL_ENDPOINTS.find((e) => e.method === method && new RegExp(`^${e.path.replace(/:[A-Za-z][A-Za-z0-9]*/g, '[^/]+')}$`).test(path));
}

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(30);
  }
}

/**
 * Every s2s call the real sites make, through the real handlers and callers
 * (send() and s2sEndpoint), is checked against its declaration both ways: the
 * proof that the declarations describe the wire as it is. send() checks the
 * body before sending and the answer on arrival; any refusal of either, and any
 * unchecked call(), is a problem here.
 */
describe('protocol: the declarations describe what the sites send and answer today', function () {
  this.timeout(120000);
  let net: SyncNetwork | undefined;
  const seen = new Set<string>();
  const problems: string[] = [];
  const original = { send: S2SClient.prototype.send, call: S2SClient.prototype.call };

  before(async () => {
    S2SClient.prototype.send = async function (this: S2SClient, peerId: string, e: AnyEndpoint, body: unknown, ...rest: unknown[]) {
      const sent = requestProblem(e, body);
      if (sent) problems.push(`${e.name} request to ${peerId}: ${sent}`);
      try {
        const r = await (original.send as (...a: unknown[]) => Promise<S2SResponse<unknown>>).call(this, peerId, e, body, ...rest);
        seen.add(e.name);
        return r;
      } catch (err) {
        if (err instanceof S2SCallError && err.clientCode === 'response_invalid') problems.push(`${e.name} answer of ${peerId}: ${err.message}`);
        throw err;
      }
    } as typeof original.send;
    S2SClient.prototype.call = async function (this: S2SClient, peerId: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
      const e = endpointFor(method, path);
      problems.push(`unchecked call: ${method} ${path}${e ? ` (declared as ${e.name}; use send())` : ' (undeclared)'}`);
      return original.call.call(this, peerId, method, path, body);
    };
    net = await startSyncNetwork([
      {
        id: 'north',
        contract: {
          sync: { requiresApproval: true, emergencyEdit: true },
          shop: { handling: { default: 'entrust', rules: [{ category: 'shelter', mode: 'consult' }] }, consult: { checkStock: false, warehouse: 'east', handlingFee: 300 } },
          users: { userCopy: true },
        },
      },
    ]);
  });
  after(async () => {
    S2SClient.prototype.send = original.send;
    S2SClient.prototype.call = original.call;
    await net?.close();
  });

  it('every declared endpoint, called by the real flows, matches its declaration both ways', async () => {
    const n = net!;
    const main = n.main.url;
    const north = n.partners.north!;
    const ok = (r: { status: number; body: unknown }, status = 200) => assert.equal(r.status, status, JSON.stringify(r.body));
    const publish = async (marker: string) => {
      n.write('pages/about.md', pageText('About', marker));
      const r = await api(main, 'POST', '/admin/api/releases', { note: marker });
      ok(r, 201);
      return r.body.release.number as number;
    };
    const push = async (outcome: string) => assert.equal((await api(main, 'POST', '/admin/api/partners/north/push', {})).body.outcome, outcome);

    // Sync: offer (whole, then deltas), blobs, commit; the manager's decisions; rollbacks both ways; an emergency edit; drift.
    const r1 = await publish('ONE');
    await push('pending');
    assert.equal((await api(north.url, 'POST', `/manage/api/pending/${r1}/approve`, {})).body.reported, true);
    const r2 = await publish('TWO');
    await push('pending');
    assert.equal((await api(north.url, 'POST', `/manage/api/pending/${r2}/reject`, { reason: 'not this week' })).body.reported, true);
    const r3 = await publish('THREE');
    await push('pending');
    assert.equal((await api(north.url, 'POST', `/manage/api/pending/${r3}/approve`, {})).body.reported, true);
    ok(await api(main, 'POST', '/admin/api/partners/north/rollback', { release: r1 }));
    assert.equal((await api(north.url, 'POST', `/manage/api/releases/${r3}/activate`, {})).body.reported, true);
    assert.equal((await api(north.url, 'PUT', '/manage/api/tieup/pages/about.md', { content: '# About\n\nFixed.\n', reason: 'a typo' })).body.reported, true);
    ok(await api(main, 'POST', '/admin/api/partners/north/check-drift', {}));

    // Peers: hello both ways (and hello-back).
    assert.equal((await api(main, 'POST', '/admin/api/partners/check', {})).body.ok, true);

    // Shop and users: state, register, login, an entrusted order, a consulted one, order states, the partner's orders at the main site.
    assert.equal(await north.shop.refreshFromMain(), true);
    const s = new Shopper(north.url);
    assert.equal((await s.register('conformance@example.org', 'a long enough passphrase')).status, 303);
    assert.equal((await s.logout()).status, 303);
    assert.equal((await s.login('conformance@example.org', 'a long enough passphrase')).status, 303);
    assert.equal((await s.add('bag-down')).status, 303);
    assert.equal((await s.placeOrder('central')).status, 303);
    assert.equal((await s.add('tent-2p')).status, 303);
    assert.equal((await s.placeOrder('consult', 'pickup', { name: '', street: '', postcode: '', city: '', country: '' })).status, 303);
    await s.agent.get('/account').expect(200);
    assert.deepEqual((await api(main, 'GET', '/admin/api/partner-orders')).body.unreachable, []);
    // A partner that lost an order's answer asks for it by idempotency key (here one never used: not found, and closed).
    assert.equal((await north.ctx.client.send('main', SHOP_ORDER_BY_KEY, { idempotencyKey: 'never-used-key-0123456789' })).body.order, null);

    // Paid content: a subscription to a period item, a key for a per-access item, the subscription's end.
    const entry = await s.agent.get('/paid/weather-letter').expect(200);
    await s.agent
      .post('/paid/weather-letter/subscribe')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(entry.text)![1]! })
      .expect(303);
    const shopperId = ((await api(main, 'GET', '/admin/api/users')).body.users as { id: string; email: string }[]).find((u) => u.email === 'conformance@example.org')!.id;
    await north.paid.requestKey(shopperId, 'trail-guide', '127.0.0.1', 'conformance-key-0001');
    await north.paid.unsubscribe(shopperId, 'weather-letter');
    // Reconciliation: the month's statement from north's records, then its reconciliation.
    const month = new Date().toISOString().slice(0, 7);
    ok(await api(north.url, 'POST', '/manage/api/paid/statements', { period: month }), 201);
    ok(await api(north.url, 'GET', `/manage/api/paid/reconciliation/${month}`));
    // Rankings and banners, fetched by the partner (with the key above counted as a reading).
    n.main.paid.rankings.refresh();
    assert.equal((await north.paid.rankings.refresh())?.overall[0]?.item, 'trail-guide');

    // Ads: viewing points credited for a delivery of a lease granted to north (exchanges run on their own timer).
    const ads = n.main.use(adsModule);
    const advertiser = n.main.portal.invite({ email: 'ads@conformance.test', kind: 'advertiser', displayName: 'Conformance Ads' }, 'test').party.id;
    ads.create(
      { advertiser, ad: { id: 'ad-conformance', title: 'Conformance', creative: { kind: 'html', html: '<p>ad</p>' }, points: 5 }, paidCount: 10, price: { amount: 100, currency: 'EUR' } },
      'test',
    );
    ads.pay({ payment: 'conformance-1', ad: 'ad-conformance', amount: 100, currency: 'EUR' }, 'operator', 'test');
    ads.store.insertLease({ id: 'Lconformance0001', ad: 'ad-conformance', site: 'north', size: 1, grantedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() });
    assert.equal((await north.ctx.client.send('main', ADS_VIEW, { ad: 'ad-conformance', lease: 'Lconformance0001', seq: 1, user: shopperId })).body.points, 5);

    // Logs and fees: a shipment cosigned, then the partner reads its statement (with the orders above as lines).
    assert.equal((await shipLog(north.ctx, north.ctx.logStore)).error, undefined);
    const contract = {
      currency: 'EUR',
      timeZone: 'UTC',
      versions: [{ effectiveFrom: '2020-01-01', terms: { baseFee: { link: 1, template: 2, content: 3 }, handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 } } }],
    };
    ok(await api(main, 'PUT', '/admin/api/partners/north/fee-contract', contract));
    ok(await api(north.url, 'GET', '/manage/api/fees'));

    // Keys: a rotation on disk makes the partner announce its new key.
    const { newKid } = await rotateSiteKeys(join(n.dir, 'keys'), 'north', 60);
    await until(() => n.main.ctx.peers.key('north', newKid) !== undefined && north.ctx.peers.get('main')!.ackedKid === newKid);

    assert.deepEqual(problems, [], 'every request and answer matches its declaration');
    assert.deepEqual(
      ALL_ENDPOINTS.map((e) => e.name).filter((name) => !seen.has(name)),
      [],
      'every declaration was exercised with a successful answer',
    );
  });
});
