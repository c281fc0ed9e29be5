/**
 * Every error that reaches a client carries a stable machine code and a human
 * message. The code is part of the API contract; the message may change.
 *
 * Codes come from catalogs: the ground floor's (`groundErrors`, below) and one
 * per capability (its `errors.ts`, listed in its module's `errors`), each made
 * with `defineErrors`, so the codes a capability can answer with are listed in
 * one place with their HTTP status.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /**
   * Whether the message (and details) may be shown to whoever asked: true for
   * client errors (4xx); for a 5xx only when its catalog entry says the
   * message was written for the reader (e.g. "the main site cannot be reached").
   */
  readonly expose: boolean;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>, expose = status < 500) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.expose = expose;
  }

  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export interface ErrorSpec {
  /** The HTTP status the code answers with (4xx or 5xx). */
  readonly status: number;
  /** The message when the throw site gives none. */
  readonly message?: string;
  /** For a 5xx: the message is written for the reader and may be shown (default: only 4xx messages are shown). */
  readonly expose?: boolean;
  /** Other statuses some route answers this code with, kept for compatibility; thrown with `.as(status, ...)`. */
  readonly also?: readonly number[];
}

type Details = Record<string, unknown>;

/** Makes the AppError of one catalog entry; the message may be left out when the entry has one. */
export type ErrorFactory<S extends ErrorSpec> = (S extends { message: string } ? (message?: string, details?: Details) => AppError : (message: string, details?: Details) => AppError) & {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  /** The same code with one of the entry's `also` statuses. */
  as(status: number, message: string, details?: Details): AppError;
  /** Whether `err` is an error of this entry. */
  is(err: unknown): err is AppError;
};

export type ErrorCatalog<T extends Record<string, ErrorSpec> = Record<string, ErrorSpec>> = { readonly [K in keyof T & string]: ErrorFactory<T[K]> };

/** One code of a catalog, as listed for docs and tests. */
export interface CatalogEntry {
  code: string;
  status: number;
  also: readonly number[];
  expose: boolean;
}

const catalogs = new WeakMap<object, { capability: string; entries: CatalogEntry[] }>();

/**
 * Declares the codes a capability answers with, e.g.
 *
 *   export const syncErrors = defineErrors('sync', {
 *     release_conflict: { status: 409 },
 *     not_main_site: { status: 403, message: 'only the main site pushes releases' },
 *   });
 *   throw syncErrors.release_conflict(`release ${n} is already held here with another root`);
 *
 * Keys are the codes (snake_case, stable: part of the API).
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(capability: string, specs: T): ErrorCatalog<T> {
  const out: Record<string, unknown> = {};
  const entries: CatalogEntry[] = [];
  for (const [code, spec] of Object.entries(specs)) {
    const expose = spec.expose ?? spec.status < 500;
    const also = spec.also ?? [];
    const make = (status: number, message: string | undefined, details?: Details): AppError => {
      const text = message ?? spec.message;
      if (text === undefined) throw new Error(`${capability} error ${code} needs a message`);
      return new AppError(status, code, text, details, status === spec.status ? expose : status < 500);
    };
    const factory = (message?: string, details?: Details) => make(spec.status, message, details);
    Object.assign(factory, {
      code,
      status: spec.status,
      expose,
      as(status: number, message: string, details?: Details) {
        if (!also.includes(status)) throw new Error(`${capability} error ${code} is not declared with status ${status}`);
        return make(status, message, details);
      },
      is: (err: unknown): err is AppError => err instanceof AppError && err.code === code,
    });
    out[code] = factory;
    entries.push({ code, status: spec.status, also, expose });
  }
  catalogs.set(out, { capability, entries });
  return Object.freeze(out) as ErrorCatalog<T>;
}

/** A catalog's capability and codes (for the catalog test and docs). */
export function catalogEntries(catalog: object): { capability: string; entries: CatalogEntry[] } {
  const c = catalogs.get(catalog);
  if (!c) throw new Error('not an error catalog made with defineErrors');
  return c;
}

/**
 * The ground floor's codes: the HTTP shell, bodies, console authentication,
 * peers and enrolment, and the server-to-server channel (the verifier's 401
 * codes and the client's 502 codes for a peer that failed us).
 */
export const groundErrors = defineErrors('ground', {
  not_found: { status: 404 },
  invalid_json: { status: 400, message: 'the request body is not valid JSON' },
  body_too_large: { status: 413, message: 'the request body is larger than this endpoint accepts' },
  // Bodies (common/http/bodies.ts): refused before anything reads them.
  invalid_encoding: { status: 400, message: 'the request body is not valid UTF-8' },
  unsupported_media_type: { status: 415 },
  empty_body: { status: 400 },
  bad_request: { status: 400, message: 'the request was refused' },
  invalid_request: { status: 400 },
  unauthorized: { status: 401 },
  internal: { status: 500, message: 'something went wrong on our side; see the server log' },
  // A write failed with SQLITE_FULL: pages still answer, what needs a write waits for space (shown: the reader can act on it).
  disk_full: { status: 503, expose: true, message: 'this site cannot store anything right now: its disk is full; try again later' },
  // Peers and enrolment.
  peer_not_found: { status: 404 },
  peer_exists: { status: 409 },
  invalid_key: { status: 400 },
  thumbprint_mismatch: { status: 400 },
  invalid_announcement: { status: 400 },
  // The s2s verifier (common/s2s/verify.ts): every failure is a 401.
  missing_token: { status: 401 },
  malformed_token: { status: 401 },
  bad_algorithm: { status: 401 },
  wrong_type: { status: 401 },
  unknown_key: { status: 401 },
  bad_signature: { status: 401 },
  wrong_issuer: { status: 401 },
  wrong_audience: { status: 401 },
  expired: { status: 401 },
  issued_in_future: { status: 401 },
  lifetime_too_long: { status: 401 },
  replayed: { status: 401 },
  body_hash_mismatch: { status: 401 },
  method_mismatch: { status: 401 },
  path_mismatch: { status: 401 },
  // The s2s client (common/s2s/client.ts): a peer failed us. The messages say
  // which peer and what it answered, for the operator: shown.
  peer_unknown: { status: 502, expose: true },
  peer_suspended: { status: 502, expose: true },
  peer_unreachable: { status: 502, expose: true },
  peer_rejected: { status: 502, expose: true },
  peer_error: { status: 502, expose: true },
  response_unsigned: { status: 502, expose: true },
  response_malformed: { status: 502, expose: true },
  response_bad_signature: { status: 502, expose: true },
  response_unbound: { status: 502, expose: true },
  response_body_mismatch: { status: 502, expose: true },
  response_expired: { status: 502, expose: true },
  response_invalid: { status: 502, expose: true },
  request_invalid: { status: 502, expose: true },
  // The declared protocol (common/protocol): a body or answer that breaks its declaration.
  invalid_body: { status: 400 },
  invalid_params: { status: 400 },
  // Contract terms (common/contract): refused on write; unreadable or absent when a capability needs them.
  invalid_contract: { status: 400 },
  contract_invalid: { status: 409, expose: true, also: [503] },
  not_contracted: { status: 409 },
  not_main_site: { status: 403 },
  not_a_partner: { status: 403 },
  answer_invalid: { status: 500 },
});

/** @deprecated Throw from the capability's catalog (`defineErrors`), so every code is listed with its status. */
export const badRequest = (code: string, message: string, details?: Record<string, unknown>): AppError => new AppError(400, code, message, details);
/** @deprecated Throw from the capability's catalog (`defineErrors`). */
export const notFound = (code: string, message: string): AppError => new AppError(404, code, message);
/** @deprecated Throw from the capability's catalog (`defineErrors`). */
export const conflict = (code: string, message: string): AppError => new AppError(409, code, message);

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

/** What the generic answer to an internal error says, on pages and in JSON. */
export const INTERNAL_MESSAGE = 'something went wrong on our side; see the server log';

/**
 * What a client may see of an error: an exposed AppError as it is; any other
 * AppError by its status and code only; the body parser's failures by their
 * ground codes; anything else as "internal". `internal` says the server log
 * should get the whole error.
 */
export function publicError(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof AppError) {
    if (err.expose) return { status: err.status, body: err.toJSON(), internal: err.status >= 500 };
    return { status: err.status, body: errorBody(err.code, INTERNAL_MESSAGE), internal: true };
  }
  const e = err as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown } | null;
  if (e?.type === 'entity.too.large') return { status: 413, body: groundErrors.body_too_large().toJSON(), internal: false };
  if (e?.type === 'entity.parse.failed') return { status: 400, body: groundErrors.invalid_json().toJSON(), internal: false };
  // SQLite's "database or disk is full", from any store: said as such (to peers too), and logged.
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_FULL') return { status: 503, body: groundErrors.disk_full().toJSON(), internal: true };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    // http-errors (the body parser, express) mark messages written for the client with `expose`.
    const message = e.expose === true && typeof e.message === 'string' ? e.message : 'the request was refused';
    return { status: e.status, body: errorBody('bad_request', message), internal: false };
  }
  return { status: 500, body: groundErrors.internal().toJSON(), internal: true };
}

/** The message a page may show for an error (see publicError). */
export function publicMessage(err: unknown): string {
  return publicError(err).body.error.message;
}
