import { Agent, request } from 'undici';
import { AppError, groundErrors } from '../errors.js';
import type { Keyring } from '../keys/keystore.js';
import type { Logger } from '../logger.js';
import type { SiteMetrics } from '../http/metrics.js';
import type { Peer, PeerStore } from '../store/peer-store.js';
import { signingKeyFor, resolvePinnedKey } from './middleware.js';
import { MAX_LIFETIME_S, REQUEST_TYP, RESPONSE_TOKEN_HEADER, RESPONSE_TYP, bodyHash, newJti, nowSeconds, signClaims } from './tokens.js';
import { S2SAuthError, checkResponseClaims, verifySignedToken, type AuthCode } from './verify.js';
import { ProtocolError, checkValue, errorsOf, pathFor, requestProblem, type AnyEndpoint, type ErrorCode, type ParamsArg, type RequestInput, type ResponseOutput } from '../protocol/endpoint.js';

/**
 * Client-side failure codes. `peer_rejected` means the peer refused our token
 * (its code is in details.peerCode); the `response_*` codes mean we refused its
 * answer, which is never passed on as a success: `response_invalid` is a
 * verified answer that does not match the endpoint's declared schema.
 * `request_invalid` is our own body failing its declaration: nothing was sent.
 */
export type S2SClientCode =
  | 'request_invalid'
  | 'peer_unknown'
  | 'peer_suspended'
  | 'peer_unreachable'
  | 'peer_rejected'
  | 'peer_error'
  | 'response_unsigned'
  | 'response_malformed'
  | 'response_bad_signature'
  | 'response_unbound'
  | 'response_body_mismatch'
  | 'response_expired'
  | 'response_invalid';

export class S2SCallError extends AppError {
  constructor(
    readonly clientCode: S2SClientCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(groundErrors[clientCode].status, clientCode, message, details, groundErrors[clientCode].expose);
    this.name = 'S2SCallError';
  }
}

/** Errors of the connection phase: the request was never sent. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a failed call certainly never reached the peer (so it changed nothing there). */
export function neverSent(err: unknown): boolean {
  return err instanceof S2SCallError && err.clientCode === 'peer_unreachable' && err.details?.notSent === true;
}

const RESPONSE_CODE: Partial<Record<AuthCode, S2SClientCode>> = {
  malformed_token: 'response_malformed',
  bad_algorithm: 'response_malformed',
  wrong_type: 'response_malformed',
  unknown_key: 'response_bad_signature',
  bad_signature: 'response_bad_signature',
  wrong_issuer: 'response_unbound',
  wrong_audience: 'response_unbound',
  replayed: 'response_unbound',
  body_hash_mismatch: 'response_body_mismatch',
  expired: 'response_expired',
  issued_in_future: 'response_expired',
  lifetime_too_long: 'response_malformed',
};

export interface S2SResponse<T> {
  status: number;
  body: T;
  /** Round trip, request sent to response verified. */
  rttMs: number;
  sentAt: number;
  receivedAt: number;
  /** Body bytes each way (no headers), for transfer accounting. */
  requestBytes: number;
  responseBytes: number;
}

export interface SendOptions {
  /**
   * Gives up after this long, request and answer included (the request is
   * aborted): peer_unreachable. Without it the client's own timeout applies.
   */
  timeoutMs?: number;
}

/** send()'s last arguments: the path parameters when the endpoint's path has any, then the options. */
export type SendArgs<E extends AnyEndpoint> = ParamsArg<E> extends [params: infer P] ? [params: P, opts?: SendOptions] : [params?: undefined, opts?: SendOptions];

export interface S2SClientDeps {
  selfId: string;
  peers: PeerStore;
  keyring: () => Keyring;
  metrics?: SiteMetrics;
  logger?: Logger;
  timeoutMs?: number;
}

/** Signs every call to a peer and accepts only answers the peer signed for that very call. */
export class S2SClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(private readonly deps: S2SClientDeps) {
    this.timeoutMs = deps.timeoutMs ?? 15000;
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: 64, connectTimeout: 5000 });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Calls a declared endpoint of a peer: the body is checked against the
   * declaration before anything is sent, and the peer's verified answer is
   * parsed by the response schema, so the result is typed and true. Throws
   * S2SCallError for every failure: any non-2xx answer (peer_error; see
   * peerErrorCode), and an answer that breaks the schema (response_invalid,
   * naming the field; logged with the peer's id). Never returns a partial
   * answer, so nothing the caller writes can rest on one.
   */
  async send<E extends AnyEndpoint>(peerId: string, endpoint: E, body: RequestInput<E>, ...[params, opts]: SendArgs<E>): Promise<S2SResponse<ResponseOutput<E>>> {
    const peer = this.activePeer(peerId);
    let path: string;
    try {
      path = pathFor(endpoint, ...([params] as ParamsArg<E>));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      throw this.fail(peer.id, 'request_invalid', `not sent to "${peer.id}": ${err.message}`, { endpoint: endpoint.name });
    }
    const problem = requestProblem(endpoint, body);
    if (problem) throw this.fail(peer.id, 'request_invalid', `not sent to "${peer.id}": our ${endpoint.name} body breaks its declaration: ${problem}`, { endpoint: endpoint.name });
    const r = await this.exchange(peer, endpoint.method, path, body, opts?.timeoutMs);
    const parsed = checkValue<E['response']>(endpoint.response, r.body);
    if (!parsed.ok) {
      throw this.fail(peer.id, 'response_invalid', `refused the answer of "${peer.id}" to ${endpoint.name}: ${parsed.message}`, { endpoint: endpoint.name, status: r.status });
    }
    this.deps.metrics?.s2sCalls.inc({ peer: peer.id, outcome: 'ok' });
    return { ...r, body: parsed.value };
  }

  /**
   * Low level, for tests only: sends any body to any path, signed, and returns
   * the verified answer unparsed (its body is unknown). Tests use it to send
   * what send() refuses to, and to see how a peer refuses it. Production code
   * calls by declaration with send(); test/protocol.test.ts checks that none
   * uses this.
   */
  async call(peerId: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<S2SResponse<unknown>> {
    const peer = this.activePeer(peerId);
    const r = await this.exchange(peer, method, path, body);
    this.deps.metrics?.s2sCalls.inc({ peer: peer.id, outcome: 'ok' });
    return r;
  }

  private activePeer(peerId: string): Peer {
    const peer = this.deps.peers.get(peerId);
    if (!peer) throw this.fail(peerId, 'peer_unknown', `"${peerId}" is not an enrolled peer`);
    if (peer.status !== 'active') throw this.fail(peerId, 'peer_suspended', `peer "${peerId}" is ${peer.status}; calls to it are cut`);
    return peer;
  }

  /** One signed request and its verified answer; a 2xx answer's JSON is returned as it came. */
  private async exchange(peer: Peer, method: string, path: string, body: unknown, timeoutMs?: number): Promise<S2SResponse<unknown>> {
    // A Buffer travels as raw bytes (application/octet-stream); anything else as JSON.
    const binary = Buffer.isBuffer(body);
    const bytes = body === undefined ? undefined : binary ? body : Buffer.from(JSON.stringify(body));
    const iat = nowSeconds();
    const jti = newJti();
    const key = signingKeyFor(this.deps.keyring(), peer);
    const token = signClaims(key, REQUEST_TYP, {
      iss: this.deps.selfId,
      aud: peer.id,
      iat,
      exp: iat + MAX_LIFETIME_S,
      jti,
      htm: method,
      htu: path,
      bh: bodyHash(bytes),
    });
    const sentAt = Date.now();
    let status: number;
    let respToken: string | undefined;
    let respBytes: Buffer;
    // A deadline covers the whole exchange, answer body included; the request is aborted when it passes.
    const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const waitMs = Math.min(this.timeoutMs, timeoutMs ?? this.timeoutMs);
    try {
      const res = await request(peer.baseUrl + path, {
        method: method as 'POST', // undici's Dispatcher types list methods as literals; ours come from declarations (or a test's call())
        dispatcher: this.agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(bytes ? { 'content-type': binary ? 'application/octet-stream' : 'application/json' } : {}),
        },
        body: bytes,
        headersTimeout: waitMs,
        bodyTimeout: waitMs,
        ...(deadline ? { signal: deadline } : {}),
      });
      status = res.statusCode;
      const h = res.headers[RESPONSE_TOKEN_HEADER];
      respToken = Array.isArray(h) ? h[0] : h;
      respBytes = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      if (deadline?.aborted) throw this.fail(peer.id, 'peer_unreachable', `no answer from "${peer.id}" within ${timeoutMs} ms`);
      // A connection never made means the peer never saw the request: a caller whose request changes state may say "nothing happened".
      const notSent = CONNECT_FAILURES.has(String((err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code));
      throw this.fail(peer.id, 'peer_unreachable', `cannot reach "${peer.id}" at ${peer.baseUrl}: ${(err as Error).message}`, notSent ? { notSent: true } : undefined);
    }
    const receivedAt = Date.now();

    if (!respToken) {
      if (status === 401) {
        const peerCode = errorCodeOf(respBytes);
        const refusal = parseJson(respBytes) as { error?: { message?: unknown; details?: { clockSkewS?: unknown } } } | undefined;
        // The peer's own words: a time refusal names the clock and the measured skew.
        const why = typeof refusal?.error?.message === 'string' ? `: ${refusal.error.message.slice(0, 500)}` : '';
        const skew = refusal?.error?.details?.clockSkewS;
        // The peer measured how far OUR clock is from its own; as "peer minus us" that is the opposite sign.
        const skewMs = typeof skew === 'number' && Number.isFinite(skew) ? -skew * 1000 : undefined;
        throw this.fail(peer.id, 'peer_rejected', `"${peer.id}" refused our request: ${peerCode ?? 'unauthorized'}${why}`, { peerCode, status, ...(skewMs === undefined ? {} : { skewMs }) });
      }
      throw this.fail(peer.id, 'response_unsigned', `"${peer.id}" answered ${status} without a response signature`, { status });
    }
    try {
      const raw = await verifySignedToken(respToken, RESPONSE_TYP, async (iss, kid) => {
        if (iss !== peer.id) throw new S2SAuthError('wrong_issuer', `the response is signed as "${iss}", expected "${peer.id}"`);
        return (await resolvePinnedKey(this.deps.peers, iss, kid)).key;
      });
      checkResponseClaims(raw, { peerId: peer.id, selfId: this.deps.selfId, requestJti: jti, status, bodyHash: bodyHash(respBytes), now: nowSeconds() });
      // A verified answer, whatever its status, is an authenticated contact with the peer.
      this.deps.peers.recordContact(peer.id, 'sent');
    } catch (err) {
      if (err instanceof S2SAuthError) {
        const code = RESPONSE_CODE[err.code] ?? 'response_malformed';
        this.deps.metrics?.s2sAuthFailures.inc({ side: 'client', code });
        throw this.fail(peer.id, code, `refused the answer of "${peer.id}": ${err.message}`, err.skewS === undefined ? undefined : { skewMs: err.skewS * 1000 });
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = respBytes.length ? JSON.parse(respBytes.toString('utf8')) : null;
    } catch {
      throw this.fail(peer.id, 'response_malformed', `"${peer.id}" answered with a body that is not JSON`);
    }
    if (status < 200 || status >= 300) {
      const peerCode = errorCodeOf(respBytes);
      throw this.fail(peer.id, 'peer_error', `"${peer.id}" answered ${status}${peerCode ? ` (${peerCode})` : ''}: ${errorMessageOf(parsed) ?? ''}`.trim(), { status, peerCode, body: parsed });
    }
    return { status, body: parsed, rttMs: receivedAt - sentAt, sentAt, receivedAt, requestBytes: bytes?.length ?? 0, responseBytes: respBytes.length };
  }

  private fail(peerId: string, code: S2SClientCode, message: string, details?: Record<string, unknown>): S2SCallError {
    this.deps.metrics?.s2sCalls.inc({ peer: peerId, outcome: code });
    this.deps.logger?.warn({ event: 's2s_call_failed', peer: peerId, code, reason: message }, 's2s call failed');
    return new S2SCallError(code, message, details);
  }
}

/**
 * The code of a peer's refusal of a call to `endpoint`, when it is one the
 * endpoint declares (its own or a common one); undefined for anything else.
 */
export function peerErrorCode<E extends AnyEndpoint>(err: unknown, endpoint: E): ErrorCode<E> | undefined {
  if (!(err instanceof S2SCallError) || err.clientCode !== 'peer_error') return undefined;
  const code = err.details?.peerCode;
  return typeof code === 'string' && errorsOf(endpoint).includes(code) ? code : undefined;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function errorCodeOf(bytes: Buffer): string | undefined {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { error?: { code?: unknown } };
    return typeof v.error?.code === 'string' ? v.error.code : undefined;
  } catch {
    return undefined;
  }
}

function errorMessageOf(v: unknown): string | undefined {
  const m = (v as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof m === 'string' ? m : undefined;
}

/**
 * A peer's refusal (a 4xx answer with an error body) as our own AppError, so
 * its status and message reach whoever asked; undefined for anything else
 * (unreachable, 5xx, authentication failures), which the caller words itself.
 */
export function peerRefusal(err: unknown): AppError | undefined {
  if (!(err instanceof S2SCallError) || err.code !== 'peer_error') return undefined;
  const status = Number(err.details?.status);
  const e = (err.details?.body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
  return status >= 400 && status < 500 && e?.message ? new AppError(status, e.code ?? 'refused', e.message, e.details) : undefined;
}
