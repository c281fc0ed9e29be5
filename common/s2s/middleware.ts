import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError, errorBody, groundErrors, publicError } from '../errors.js';
import type { Keyring, SigningKey } from '../keys/keystore.js';
import { importEd25519, parsePublicJwk } from '../keys/jwk.js';
import type { Logger } from '../logger.js';
import type { SiteMetrics } from '../http/metrics.js';
import type { Peer, PeerStore } from '../store/peer-store.js';
import type { ReplayStore } from '../store/replay-store.js';
import { CLOCK_SKEW_S, MAX_LIFETIME_S, REQUEST_TYP, RESPONSE_TOKEN_HEADER, RESPONSE_TYP, bodyHash, newJti, nowSeconds, signClaims, type RequestClaims } from './tokens.js';
import { S2SAuthError, checkRequestClaims, verifySignedToken } from './verify.js';
import { parseJsonBytes } from '../http/bodies.js';
import { COMMON_ERRORS, checkValue, errorsOf, routePath, type AnyEndpoint, type ParamsOutput, type RequestOutput, type ResponseInput } from '../protocol/endpoint.js';

export interface S2SRequestContext {
  peer: Peer;
  claims: RequestClaims;
  /** The pinned key the caller signed with (its kid). */
  callerKid: string;
  /** The parsed JSON body, undefined when empty, or the raw bytes for a non-JSON content type. */
  body: unknown;
  /** Set when the body cannot be read (not JSON, not UTF-8, neither JSON nor bytes): the route answers 400 or 415, signed, without running. */
  bodyError?: 'invalid_json' | 'invalid_encoding' | 'unsupported_media_type';
}

/** Who called, once the token's signature and claims hold: enough to sign an answer, even one the route never saw. */
export interface S2SCaller {
  peer: Peer;
  claims: RequestClaims;
}

declare module 'express-serve-static-core' {
  interface Request {
    s2s?: S2SRequestContext;
    s2sCaller?: S2SCaller;
    /** The raw body parser's failure (too large, aborted), answered signed once the token holds. */
    s2sBodyFailure?: unknown;
  }
}

export interface S2SServerDeps {
  selfId: string;
  peers: PeerStore;
  replay: ReplayStore;
  keyring: () => Keyring;
  metrics: SiteMetrics;
  logger: Logger;
  bodyLimitBytes: number;
}

/** Our key to sign for a peer: the one it has pinned, until it accepts our newer key. */
export function signingKeyFor(keyring: Keyring, peer: Peer): SigningKey {
  return (peer.ackedKid ? keyring.get(peer.ackedKid) : undefined) ?? keyring.current;
}

/** Resolves (issuer, kid) to a pinned key of an enrolled, active peer, or fails with the stable code. */
export async function resolvePinnedKey(peers: PeerStore, iss: string, kid: string, now = new Date()) {
  const peer = peers.get(iss);
  if (!peer) throw new S2SAuthError('wrong_issuer', `"${iss}" is not an enrolled peer of this site`);
  if (peer.status !== 'active') throw new S2SAuthError('wrong_issuer', `peer "${iss}" is ${peer.status}`);
  const pinned = peers.key(iss, kid);
  if (!pinned) throw new S2SAuthError('unknown_key', `key ${kid} is not pinned for "${iss}"`);
  if (pinned.validUntil !== null && pinned.validUntil <= now.toISOString()) {
    throw new S2SAuthError('unknown_key', `key ${kid} of "${iss}" was retired at ${pinned.validUntil}`);
  }
  const jwk = parsePublicJwk(pinned.publicJwk);
  if (!jwk) throw new S2SAuthError('unknown_key', `the pinned key ${kid} of "${iss}" is unusable`);
  return { peer, key: importEd25519(jwk) };
}

/**
 * The router every /s2s/ route hangs from: raw body (hashed exactly as sent),
 * then the full token check, then the replay check as the very last step so a
 * token that fails anything else cannot burn its jti.
 */
export function createS2SRouter(deps: S2SServerDeps): express.Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: deps.bodyLimitBytes });
  // A body refused by the parser (too large) is answered after the token check, signed like any answer.
  router.use((req, res, next) => {
    void raw(req, res, (err?: unknown) => {
      if (err) req.s2sBodyFailure = err;
      next();
    });
  });
  router.use(authenticate(deps));
  return router;
}

/**
 * How an s2s body is read: JSON (application/json, or no content type at all,
 * as the wire has always allowed), raw bytes (application/octet-stream), or
 * neither, which is refused rather than guessed at. An empty body is JSON's
 * "nothing".
 */
function s2sBodyType(req: Request, body: Buffer): 'json' | 'binary' | 'other' {
  const ct = req.get('content-type');
  if (ct === undefined || body.length === 0) return 'json';
  const t = req.is(['application/json', '+json', 'application/octet-stream']);
  if (t === 'application/octet-stream') return 'binary';
  if (typeof t === 'string') {
    const cs = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(ct)?.[1]?.toLowerCase();
    return cs === undefined || cs === 'utf-8' || cs === 'utf8' ? 'json' : 'other';
  }
  return 'other';
}

/**
 * Ends the /s2s router (after every route): an unknown path and any error that
 * escaped a route or the authentication's own writes (the replay cache on a
 * full disk) are answered signed whenever the caller's token held, so the
 * caller reads our code (disk_full, not_found, ...) instead of
 * response_unsigned. Only a caller whose token failed gets an unsigned 401.
 */
export function finishS2SRouter(router: express.Router, deps: Pick<S2SServerDeps, 'selfId' | 'keyring' | 'logger'>): void {
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.s2sCaller) {
      next();
      return;
    }
    sendSigned(deps, req.s2sCaller, res, 404, Buffer.from(JSON.stringify(groundErrors.not_found(`no s2s route for ${req.method} ${req.originalUrl.split('?')[0]}`).toJSON())));
  });
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.s2sCaller || res.headersSent) {
      next(err);
      return;
    }
    const out = publicError(err);
    if (out.internal) deps.logger.error({ event: 's2s_request_failed', path: req.originalUrl, code: out.body.error.code, err }, 's2s request failed');
    sendSigned(deps, req.s2sCaller, res, out.status, Buffer.from(JSON.stringify(out.body)));
  });
}

/** Sends the JSON `bytes` with a response token bound to the caller's request (its jti), the status and those exact bytes. */
function sendSigned(deps: Pick<S2SServerDeps, 'selfId' | 'keyring'>, caller: S2SCaller, res: Response, status: number, bytes: Buffer): void {
  const iat = nowSeconds();
  const token = signClaims(signingKeyFor(deps.keyring(), caller.peer), RESPONSE_TYP, {
    iss: deps.selfId,
    aud: caller.peer.id,
    iat,
    exp: iat + MAX_LIFETIME_S,
    jti: newJti(),
    rjti: caller.claims.jti,
    sts: status,
    bh: bodyHash(bytes),
  });
  res.status(status).set(RESPONSE_TOKEN_HEADER, token).type('application/json').send(bytes);
}

function authenticate(deps: S2SServerDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const auth = req.get('authorization');
      if (!auth) throw new S2SAuthError('missing_token', 'an s2s call needs "Authorization: Bearer <JWT>"');
      const m = /^Bearer ([^\s]+)$/.exec(auth);
      if (!m) throw new S2SAuthError('malformed_token', 'the Authorization header must be "Bearer <JWT>"');
      const token = m[1]!;
      let peer: Peer | undefined;
      let callerKid = '';
      const raw = await verifySignedToken(token, REQUEST_TYP, async (iss, kid) => {
        const r = await resolvePinnedKey(deps.peers, iss, kid);
        peer = r.peer;
        callerKid = kid;
        return r.key;
      });
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const claims = checkRequestClaims(raw, {
        selfId: deps.selfId,
        method: req.method,
        path: req.originalUrl,
        // The body was not read (too large): nothing to compare, and nothing will run.
        bodyHash: req.s2sBodyFailure ? String(raw.bh) : bodyHash(body),
        now: nowSeconds(),
      });
      req.s2sCaller = { peer: peer!, claims };
      if (req.s2sBodyFailure) {
        next(req.s2sBodyFailure);
        return;
      }
      // Kept until the token could no longer pass the expiry check anyway.
      if (!(await deps.replay.firstUse(claims.iss, claims.jti, claims.exp + CLOCK_SKEW_S))) {
        throw new S2SAuthError('replayed', 'this request token was already used');
      }
      // Every check passed: the peer has talked to us, authenticated (the console's "last authenticated contact").
      deps.peers.recordContact(peer!.id, 'received');
      let parsed: unknown;
      const type = s2sBodyType(req, body);
      if (type === 'binary') {
        // Binary payloads (blob batches) reach the handler as the exact bytes that were hashed.
        parsed = body;
      } else if (type === 'other') {
        // Refused by the route (415), so that this answer is signed like every other.
        req.s2s = { peer: peer!, claims, callerKid, body: undefined, bodyError: 'unsupported_media_type' };
        next();
        return;
      } else if (body.length > 0) {
        // Strict: invalid UTF-8 or an unpaired surrogate is refused, never stored as U+FFFD.
        const r = parseJsonBytes(body);
        if (!r.ok) {
          req.s2s = { peer: peer!, claims, callerKid, body: undefined, bodyError: r.code };
          next();
          return;
        }
        parsed = r.value;
      }
      req.s2s = { peer: peer!, claims, callerKid, body: parsed };
      next();
    } catch (err) {
      if (err instanceof S2SAuthError) {
        deps.metrics.s2sAuthFailures.inc({ side: 'server', code: err.code });
        deps.logger.warn({ event: 's2s_auth_failed', code: err.code, reason: err.message, path: req.originalUrl, ip: req.ip }, 's2s request refused');
        // Every verifier code is a ground catalog entry (a 401).
        const e = groundErrors[err.code](err.message, err.skewS === undefined ? undefined : { clockSkewS: err.skewS });
        res.status(e.status).json(e.toJSON());
        return;
      }
      next(err);
    }
  };
}

export interface S2SResult {
  status?: number;
  body: unknown;
}

/**
 * Wraps an s2s handler so that its answer, success or error, is signed and
 * bound to the request's jti and to the exact response bytes. Nothing is
 * parsed or checked: the sites' routes use s2sEndpoint; this stays for tests
 * that play a peer answering whatever they choose.
 */
export function s2sRoute(deps: Pick<S2SServerDeps, 'selfId' | 'keyring' | 'logger'>, handler: (ctx: S2SRequestContext, req: Request) => Promise<S2SResult> | S2SResult): RequestHandler {
  return signedRoute(deps, handler, {});
}

interface AnswerHooks {
  /** Checks a 2xx answer exactly as the caller will read it (the JSON on the wire); a problem replaces it. */
  checkAnswer?(wire: unknown, ctx: S2SRequestContext): string | undefined;
  /** Sees each refusal the handler raised, before it is sent. */
  onRefusal?(err: AppError, ctx: S2SRequestContext): void;
}

function signedRoute(
  deps: Pick<S2SServerDeps, 'selfId' | 'keyring' | 'logger'>,
  handler: (ctx: S2SRequestContext, req: Request) => Promise<S2SResult> | S2SResult,
  hooks: AnswerHooks,
): RequestHandler {
  return async (req: Request, res: Response) => {
    const ctx = req.s2s;
    if (!ctx) throw new Error('s2sRoute used outside the s2s router');
    let status = 200;
    let body: unknown;
    try {
      if (ctx.bodyError === 'invalid_json') throw groundErrors.invalid_json('the s2s request body is not valid JSON');
      if (ctx.bodyError === 'invalid_encoding') throw groundErrors.invalid_encoding('the s2s request body is not valid UTF-8 JSON');
      if (ctx.bodyError) throw groundErrors.unsupported_media_type('an s2s body is application/json or application/octet-stream');
      const result = await handler(ctx, req);
      status = result.status ?? 200;
      body = result.body;
    } catch (err) {
      // As on every other route: a peer sees a client error's message, never an internal error's text.
      if (err instanceof AppError) hooks.onRefusal?.(err, ctx);
      const out = publicError(err);
      if (out.internal) deps.logger.error({ event: 's2s_handler_failed', path: req.originalUrl, code: out.body.error.code, err }, 's2s handler failed');
      status = out.status;
      body = out.body;
    }
    let bytes = Buffer.from(JSON.stringify(body ?? null));
    if (hooks.checkAnswer && status >= 200 && status < 300) {
      const problem = hooks.checkAnswer(JSON.parse(bytes.toString('utf8')), ctx);
      if (problem) {
        status = 500;
        bytes = Buffer.from(JSON.stringify(errorBody(COMMON_ERRORS.answerInvalid, problem)));
      }
    }
    sendSigned(deps, ctx, res, status, bytes);
  };
}

/** What a declared endpoint's handler answers: a body its response schema accepts. */
export interface EndpointAnswer<E extends AnyEndpoint> {
  status?: 200 | 201;
  body: ResponseInput<E>;
}

export type EndpointHandler<E extends AnyEndpoint> = (s2s: S2SRequestContext, body: RequestOutput<E>, params: ParamsOutput<E>) => Promise<EndpointAnswer<E>> | EndpointAnswer<E>;

/**
 * Registers a declared endpoint on the /s2s router. Before the handler runs,
 * the caller's role (403 not_main_site / not_a_partner), the path parameters
 * (400 invalid_params) and the body (400 invalid_body, or the code a domain
 * validator named when the endpoint declares it) are checked; a refusal is
 * signed like every answer and the handler is never called, so it changes
 * nothing. Every 2xx answer is checked against the response schema before it
 * leaves (see common/protocol/endpoint.ts for why).
 */
export function s2sEndpoint<E extends AnyEndpoint>(
  router: express.Router,
  deps: Pick<S2SServerDeps, 'selfId' | 'keyring' | 'logger'>,
  endpoint: E,
  // NoInfer: E comes from the declaration alone, so the handler's answer is checked against it (literals included).
  handler: NoInfer<EndpointHandler<E>>,
): void {
  const declared = new Set(errorsOf(endpoint));
  const route = signedRoute(
    deps,
    async (s2s, req) => {
      refuseWrongCaller(endpoint, s2s.peer.role);
      const params = parseParams(endpoint, req.params);
      const body = parseBody(endpoint, s2s.body, declared);
      return handler(s2s, body, params);
    },
    {
      checkAnswer: (wire, s2s) => {
        const r = checkValue(endpoint.response, wire);
        if (r.ok) return undefined;
        deps.logger.error({ event: 's2s_answer_invalid', endpoint: endpoint.name, peer: s2s.peer.id, reason: r.message }, 'our answer breaks its declared schema; sent 500 instead');
        return `${deps.selfId} could not answer ${endpoint.name}: its answer breaks the declared schema (${r.message})`;
      },
      onRefusal: (err, s2s) => {
        if (!declared.has(err.code))
          deps.logger.warn({ event: 's2s_undeclared_error', endpoint: endpoint.name, peer: s2s.peer.id, code: err.code }, 'an s2s refusal uses a code its endpoint does not declare');
      },
    },
  );
  const path = routePath(endpoint);
  switch (endpoint.method) {
    case 'GET':
      router.get(path, route);
      break;
    case 'POST':
      router.post(path, route);
      break;
    case 'PUT':
      router.put(path, route);
      break;
    case 'DELETE':
      router.delete(path, route);
      break;
  }
}

function refuseWrongCaller(endpoint: AnyEndpoint, role: string): void {
  if (endpoint.callers === 'main' && role !== 'main') throw groundErrors.not_main_site(`only the main site may call ${endpoint.name}`);
  if (endpoint.callers === 'partner' && role !== 'partner') throw groundErrors.not_a_partner(`only partners may call ${endpoint.name}`);
}

function parseParams<E extends AnyEndpoint>(endpoint: E, raw: Record<string, unknown>): ParamsOutput<E> {
  if (!endpoint.params) return {} as ParamsOutput<E>; // no :params in the path, nothing to parse
  const r = checkValue(endpoint.params, { ...raw });
  if (!r.ok) throw groundErrors.invalid_params(r.message);
  return r.value as ParamsOutput<E>;
}

function parseBody<E extends AnyEndpoint>(endpoint: E, body: unknown, declared: ReadonlySet<string>): RequestOutput<E> {
  // A domain validator's own declared code (bad_path, too_large, ...) reaches the caller as the endpoint declares it.
  const refuse = (message: string, code?: string) => (code && declared.has(code) ? new AppError(400, code, message) : groundErrors.invalid_body(message));
  // The casts below hand the handler what its declaration promises; each branch has just checked it.
  if (endpoint.request === 'none') {
    if (body !== undefined) throw refuse('body: this endpoint takes no body');
    return undefined as RequestOutput<E>;
  }
  if (endpoint.request === 'binary') {
    if (!Buffer.isBuffer(body)) throw groundErrors.unsupported_media_type('body: this endpoint takes application/octet-stream bytes');
    return body as RequestOutput<E>;
  }
  if (Buffer.isBuffer(body)) throw groundErrors.unsupported_media_type('body: this endpoint takes a JSON body (application/json)');
  const r = checkValue(endpoint.request, body);
  if (!r.ok) throw refuse(r.message, r.code);
  return r.value as RequestOutput<E>;
}
