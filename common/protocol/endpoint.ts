/**
 * The declared protocol: every `/s2s/` endpoint is declared once, here in
 * common/protocol/, with its method, path, request schema, response schema,
 * the stable error codes its server may answer with, and which role may call
 * it. Both ends use the one declaration:
 *
 *   - the server registers the route from it (`s2sEndpoint` in
 *     common/s2s/middleware.ts): the handler receives a parsed, typed body and
 *     typed path parameters, and is never called for a body that fails the
 *     schema (400 `invalid_body`, signed like every answer, nothing changed);
 *   - the client calls by it (`S2SClient.send` in common/s2s/client.ts) and
 *     gets the peer's verified answer parsed by the response schema, or an
 *     `S2SCallError` with code `response_invalid` naming the field, logged with
 *     the peer's id.
 *
 * `pathFor` below is the only place a `/s2s/...` path string is built.
 *
 * Rules every declaration follows, because a peer is an outside party:
 *   - Objects are `z.strictObject` wherever the sender controls every key, so
 *     an unknown key is refused rather than ignored. `.passthrough()` / loose
 *     objects are not used.
 *   - Every string, array, record and integer is bounded. Where a person must
 *     read the refusal (a shopper's registration), the service keeps its own
 *     friendlier rules and codes and the schema's bounds sit above them: they
 *     bound the resource, not the rule.
 *   - Where a domain validator already owns a value and answers with its own
 *     stable codes (the release manifest: `bad_path`, `too_large`...), the
 *     schema runs that validator (`validatedBy`) and its code travels with the
 *     refusal instead of `invalid_body`, provided the endpoint declares it.
 *   - Response schemas transform nothing (the shop terms' defaults only fill
 *     keys the main site may leave out), so the caller reads what was sent.
 *
 * Choices at the two ends:
 *   - A handler returns `z.input` of its response schema: the answer travels
 *     as JSON and the caller parses that JSON with the same schema, so what the
 *     schema accepts is exactly what a server must produce.
 *   - The server checks every 2xx answer against the schema, in every
 *     environment, as the caller will read it (its JSON). An answer that breaks
 *     its declaration is not sent: 500 `answer_invalid`, logged with the field.
 *     A typed caller would refuse it anyway; this way the fault shows where it
 *     is made. Refusals with a code the endpoint does not declare are sent but
 *     logged (`s2s_undeclared_error`), so the lists stay complete.
 *   - The client checks its own body (and path parameters) before sending:
 *     `request_invalid`, nothing sent.
 *
 * Usage:
 *   s2sEndpoint(router, deps, SYNC_COMMIT, (s2s, body) => ({ body: { state: 'active', ... } }));
 *   const { body } = await ctx.client.send(partnerId, SYNC_COMMIT, { release: 7 });
 *   await ctx.client.send(partnerId, SYNC_BLOBS, frames, { release: 7 }, { timeoutMs: 3000 });
 *   if (peerErrorCode(err, SYNC_OFFER) === 'base_unknown') ...
 *
 * Two declarations may share a path when their methods differ (the main site's
 * POST /s2s/shop/orders and the partner's GET /s2s/shop/orders); the pair
 * (method, path) is what is unique.
 */
import { z } from 'zod';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Callers = 'main' | 'partner' | 'any';
/** A zod schema for a JSON body, raw bytes (application/octet-stream), or no body at all. */
export type RequestSpec = z.ZodType | 'binary' | 'none';

/** ':release' in '/s2s/sync/blobs/:release' -> 'release'. */
export type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | PathParamNames<`/${Rest}`> : P extends `${string}:${infer Name}` ? Name : never;

type HasParams<P extends string> = [PathParamNames<P>] extends [never] ? false : true;

/** A path with parameters must say how each is parsed; a path without must not pretend to. */
type ParamsRule<P extends string> = HasParams<P> extends true ? { readonly params: z.ZodType<Record<PathParamNames<P>, unknown>, Record<PathParamNames<P>, string>> } : { readonly params?: undefined };

export interface EndpointSpec {
  /** Dotted, stable, used in logs and messages: "sync.offer". */
  readonly name: string;
  readonly method: Method;
  readonly path: `/s2s/${string}`;
  readonly request: RequestSpec;
  readonly response: z.ZodType;
  /** Codes the handler itself may answer with; the codes every endpoint shares are added by `errorsOf`. */
  readonly errors: readonly string[];
  readonly callers: Callers;
  readonly params?: z.ZodType | undefined;
}

// Type-only brand: send() and s2sEndpoint() take only what defineEndpoint checked.
declare const declared: unique symbol;
export type Declared<S extends EndpointSpec = EndpointSpec> = S & { readonly [declared]: true };
export type AnyEndpoint = Declared;

export type RequestInput<E extends AnyEndpoint> = E['request'] extends 'none' ? undefined : E['request'] extends 'binary' ? Buffer : E['request'] extends z.ZodType ? z.input<E['request']> : never;
export type RequestOutput<E extends AnyEndpoint> = E['request'] extends 'none' ? undefined : E['request'] extends 'binary' ? Buffer : E['request'] extends z.ZodType ? z.output<E['request']> : never;
export type ResponseInput<E extends AnyEndpoint> = z.input<E['response']>;
export type ResponseOutput<E extends AnyEndpoint> = z.output<E['response']>;
export type ParamsInput<E extends AnyEndpoint> = Record<PathParamNames<E['path']>, string | number>;
export type ParamsOutput<E extends AnyEndpoint> = E['params'] extends z.ZodType ? z.output<E['params']> : Record<string, never>;
/** pathFor's (and send's) params argument: required exactly when the path has parameters. */
export type ParamsArg<E extends AnyEndpoint> = HasParams<E['path']> extends true ? [params: ParamsInput<E>] : [params?: undefined];

/** Codes any declared endpoint may answer with, besides its own. */
export const COMMON_ERRORS = {
  /** The body is not JSON (answered by the s2s router before any route). */
  invalidJson: 'invalid_json',
  /** The body is not UTF-8 (bad bytes, or a JSON escape of an unpaired surrogate). */
  invalidEncoding: 'invalid_encoding',
  /** The body is neither what the endpoint reads (JSON or bytes) nor empty. */
  unsupportedMediaType: 'unsupported_media_type',
  invalidBody: 'invalid_body',
  invalidParams: 'invalid_params',
  /** The caller's role may not call this endpoint (kept from the codes the handlers used before declarations). */
  notMain: 'not_main_site',
  notPartner: 'not_a_partner',
  internal: 'internal',
  /** A write failed because the callee's disk is full (SQLITE_FULL); nothing was changed, try again later. */
  diskFull: 'disk_full',
  /** The server's own answer broke its declared schema; it was not sent. */
  answerInvalid: 'answer_invalid',
} as const;
export type CommonErrorCode = (typeof COMMON_ERRORS)[keyof typeof COMMON_ERRORS];
export type ErrorCode<E extends AnyEndpoint> = E['errors'][number] | CommonErrorCode;

const NAME_RE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const PATH_RE = /^\/s2s(\/([a-z0-9-]+|:[A-Za-z][A-Za-z0-9]*))+$/;
const CODE_RE = /^[a-z][a-z0-9_]*$/;
const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'DELETE'];
const COMMON_CODES: readonly string[] = Object.values(COMMON_ERRORS);

export const paramNamesOf = (path: string): string[] => [...path.matchAll(/:([A-Za-z][A-Za-z0-9]*)/g)].map((m) => m[1]!);

/**
 * Declares one endpoint. The checks here run when the module loads, so a
 * malformed declaration stops the process at start, not at the first call.
 */
export function defineEndpoint<const S extends EndpointSpec>(spec: S & ParamsRule<S['path']>): Declared<S> {
  const problem = (m: string) => new Error(`protocol declaration ${JSON.stringify(spec.name)}: ${m}`);
  if (!NAME_RE.test(spec.name)) throw problem('the name must be dotted lowercase words, e.g. "sync.offer"');
  if (!METHODS.includes(spec.method)) throw problem(`unknown method ${String(spec.method)}`);
  if (!PATH_RE.test(spec.path)) throw problem(`the path ${spec.path} must start with /s2s/ and have lowercase segments or :params`);
  if (!['main', 'partner', 'any'].includes(spec.callers)) throw problem(`callers must be main, partner or any`);
  if (spec.method === 'GET' && spec.request !== 'none') throw problem('a GET carries no body; declare request "none"');
  const names = paramNamesOf(spec.path);
  if (new Set(names).size !== names.length) throw problem('a path parameter appears twice');
  if (names.length > 0) {
    const shape = spec.params instanceof z.ZodObject ? Object.keys(spec.params.shape).sort() : null;
    if (!shape || shape.join() !== [...names].sort().join()) throw problem(`params must be an object schema with exactly the keys ${names.join(', ')}`);
  } else if (spec.params !== undefined) {
    throw problem('params are declared but the path has none');
  }
  if (new Set(spec.errors).size !== spec.errors.length) throw problem('an error code is listed twice');
  for (const c of spec.errors) {
    if (!CODE_RE.test(c)) throw problem(`error code ${JSON.stringify(c)} must be lowercase snake_case`);
    if (COMMON_CODES.includes(c)) throw problem(`error code ${c} is common to every endpoint; do not list it`);
  }
  return Object.freeze({ ...spec }) as unknown as Declared<S>; // the brand exists only in the type
}

/** Every code an endpoint's server may answer with: its own and the shared ones that apply to it. */
export function errorsOf(e: AnyEndpoint): string[] {
  // invalid_json applies to every endpoint: the router parses by the content type the caller claims.
  const out = [
    ...e.errors,
    COMMON_ERRORS.invalidJson,
    COMMON_ERRORS.invalidEncoding,
    COMMON_ERRORS.unsupportedMediaType,
    COMMON_ERRORS.invalidBody,
    COMMON_ERRORS.internal,
    COMMON_ERRORS.diskFull,
    COMMON_ERRORS.answerInvalid,
  ];
  if (e.params) out.push(COMMON_ERRORS.invalidParams);
  if (e.callers === 'main') out.push(COMMON_ERRORS.notMain);
  if (e.callers === 'partner') out.push(COMMON_ERRORS.notPartner);
  return out;
}

/** The path relative to the /s2s router, as express wants it: "/sync/blobs/:release". */
export const routePath = (e: AnyEndpoint): string => e.path.slice('/s2s'.length);

/**
 * The concrete path of a call: each :param filled with its value, URI-encoded,
 * and checked by the endpoint's params schema so a caller cannot build a path
 * its peer would refuse. Throws ProtocolError for a missing or refused value.
 */
export function pathFor<E extends AnyEndpoint>(endpoint: E, ...[params]: ParamsArg<E>): string {
  const given = (params ?? {}) as Record<string, string | number | undefined>;
  const filled: Record<string, string> = {};
  const path = endpoint.path.replace(/:([A-Za-z][A-Za-z0-9]*)/g, (_m, name: string) => {
    const v = given[name];
    if (v === undefined || String(v) === '') throw new ProtocolError(`${endpoint.name}: path parameter ${name} is missing`);
    filled[name] = String(v);
    return encodeURIComponent(String(v));
  });
  if (endpoint.params) {
    const r = checkValue(endpoint.params, filled);
    if (!r.ok) throw new ProtocolError(`${endpoint.name}: path parameter ${r.message}`);
  }
  return path;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string; code: string | undefined };

/**
 * Parses an untrusted value. Never throws: a refinement or validator that
 * throws unexpectedly is reported like any other refusal, so a peer's body
 * can only ever lead to a clean refusal. The message is "<field path>:
 * <reason>" for the first issue; `code` is set when a domain validator named
 * its own stable code (see validatedBy).
 */
export function checkValue<S extends z.ZodType>(schema: S, value: unknown): Checked<z.output<S>> {
  let r: z.ZodSafeParseResult<z.output<S>>;
  try {
    r = schema.safeParse(value);
  } catch (err) {
    return { ok: false, message: `body: ${(err as Error).message}`, code: undefined };
  }
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const code = issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : undefined;
  // A refused record key says why, not only that it was refused.
  const reason = issue.code === 'invalid_key' && issue.issues[0] ? `${issue.message}: ${issue.issues[0].message}` : issue.message;
  return { ok: false, message: `${fieldPath(issue)}: ${reason}`, code };
}

/**
 * Why a body may not be sent to an endpoint, or undefined when it may. The
 * body is checked as it will travel: what JSON drops (undefined members) the
 * peer never sees.
 */
export function requestProblem(endpoint: AnyEndpoint, body: unknown): string | undefined {
  if (endpoint.request === 'none') return body === undefined ? undefined : 'body: this endpoint takes no body';
  if (endpoint.request === 'binary') return Buffer.isBuffer(body) ? undefined : 'body: this endpoint takes raw bytes (a Buffer)';
  if (Buffer.isBuffer(body)) return 'body: this endpoint takes a JSON body';
  let wire: unknown;
  try {
    wire = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
  } catch (err) {
    return `body: cannot travel as JSON (${(err as Error).message})`;
  }
  const r = checkValue(endpoint.request, wire);
  return r.ok ? undefined : r.message;
}

/** "manifest[3].path", "contract.shop.extra" (an unknown key is named), or "body" for the whole value. */
export function fieldPath(issue: z.core.$ZodIssue): string {
  const segments: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys.length) segments.push(issue.keys[0]!);
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][\w$]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out || 'body';
}

/**
 * A field owned by a domain validator: the validator's result is the parsed
 * value, and its refusal becomes an issue carrying the validator's stable code
 * (when `codeOf` names one), so "bad_path" stays "bad_path" on the wire.
 * `In` is the type a sender builds; the validator checks every part of it.
 */
export function validatedBy<In, Out>(validate: (value: unknown) => Out, codeOf: (err: unknown) => string | undefined): z.ZodType<Out, In> {
  const schema = z.unknown().transform((value, ctx) => {
    try {
      return validate(value);
    } catch (err) {
      const code = codeOf(err);
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err), input: value, ...(code ? { params: { code } } : {}) });
      return z.NEVER;
    }
  });
  // The pipe's declared input is unknown; the validator is what makes In true.
  return schema as unknown as z.ZodType<Out, In>;
}

/** A record (JSON object with caller-chosen keys) with a bounded number of keys. */
export function boundedRecord<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V, maxKeys: number) {
  return z.record(key, value).refine((o) => Object.keys(o).length <= maxKeys, `at most ${maxKeys} keys`);
}
