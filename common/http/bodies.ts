import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { groundErrors } from '../errors.js';

/**
 * How every request body is read, on every site: JSON and forms are UTF-8,
 * and a body that is not is refused (400 invalid_encoding) before anything
 * reads it. Without this, the body parser and JSON.parse replace each bad
 * byte with U+FFFD and the damaged text is stored as if it had been sent.
 * A JSON string escape that no UTF-8 text can hold (a lone surrogate such
 * as "\udc00") is refused the same way: SQLite would store it replaced too.
 */

// String.prototype.isWellFormed is Node 20's, but not in the ES2022 lib this project compiles against.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a value holds a string no UTF-8 text can carry, or undefined. Walks keys and values, without recursion. */
export function unpairedSurrogateIn(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return 'a string holds an unpaired surrogate (\\ud800-\\udfff)';
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) stack.push(k, child);
    }
  }
  return undefined;
}

/**
 * Parses JSON bytes strictly: invalid UTF-8 and unpaired surrogates are
 * `invalid_encoding`, anything JSON.parse refuses is `invalid_json`.
 */
export function parseJsonBytes(bytes: Buffer): { ok: true; value: unknown } | { ok: false; code: 'invalid_encoding' | 'invalid_json'; message: string } {
  if (!isUtf8(bytes)) return { ok: false, code: 'invalid_encoding', message: 'the request body is not valid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, code: 'invalid_json', message: 'the request body is not valid JSON' };
  }
  const problem = unpairedSurrogateIn(value);
  if (problem) return { ok: false, code: 'invalid_encoding', message: `the request body is not valid UTF-8 text: ${problem}` };
  return { ok: true, value };
}

/** A form's bytes as its fields will read: raw bytes and %XX escapes decoded, "+" as a space. */
function formBytesAreUtf8(raw: Buffer): boolean {
  const decoded = raw.toString('latin1').replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return isUtf8(Buffer.from(decoded, 'latin1'));
}

/** The charset a content type names, lowercased, or undefined. */
function charsetOf(req: Request): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.get('content-type') ?? '');
  return m?.[1]?.toLowerCase();
}

const refuseOtherCharsets =
  (what: string): RequestHandler =>
  (req, _res, next) => {
    const cs = charsetOf(req);
    if (cs !== undefined && cs !== 'utf-8' && cs !== 'utf8') return next(groundErrors.unsupported_media_type(`${what} bodies are UTF-8; charset "${cs}" is not accepted`));
    next();
  };

/** A URL-encoded form parser that refuses a body whose fields are not UTF-8 (raw or %-escaped). */
export function formBody(o: { limit: string; parameterLimit?: number }): RequestHandler {
  const parse = express.urlencoded({
    extended: false,
    limit: o.limit,
    ...(o.parameterLimit ? { parameterLimit: o.parameterLimit } : {}),
    verify: (_req, _res, buf) => {
      if (!formBytesAreUtf8(buf)) throw groundErrors.invalid_encoding('the form is not valid UTF-8');
    },
  });
  const charset = refuseOtherCharsets('form');
  return (req, res, next) => charset(req, res, (err?: unknown) => (err ? next(err) : parse(req, res, next)));
}

/** Whether the request carries a body at all (a length above zero, or a chunked body). */
export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

const isJsonType = (req: Request): boolean => typeof req.is(['application/json', '+json']) === 'string';

/**
 * The body rule of a JSON API that changes state (POST, PUT, PATCH, DELETE):
 *   - a body in another content type is refused with 415, never read as "no options";
 *   - a POST, PUT or PATCH must send a JSON object, `{}` when it has nothing to
 *     choose: an empty body is refused (400 empty_body) rather than taken as
 *     "do the default", so a stray or truncated request changes nothing;
 *   - a DELETE names everything in its URL and may come without a body;
 *   - the body must be UTF-8 JSON (400 invalid_encoding / invalid_json), and an object (400 invalid_request).
 * GET and HEAD pass untouched. Sets req.body to the parsed object.
 */
export function jsonApiBody(o: { limit: number }): RequestHandler {
  const raw = express.raw({ type: () => true, limit: o.limit });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (!hasBody(req)) {
      if (req.method === 'DELETE') return next();
      return next(groundErrors.empty_body(`${req.method} needs a JSON object body (send {} when there is nothing to choose)`));
    }
    if (!isJsonType(req)) return next(groundErrors.unsupported_media_type(`send the body as application/json (it came as ${JSON.stringify(req.get('content-type') ?? 'no content type')})`));
    const cs = charsetOf(req);
    if (cs !== undefined && cs !== 'utf-8' && cs !== 'utf8') return next(groundErrors.unsupported_media_type(`JSON bodies are UTF-8; charset "${cs}" is not accepted`));
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (bytes.length === 0) {
        if (req.method === 'DELETE') {
          req.body = undefined;
          return next();
        }
        return next(groundErrors.empty_body(`${req.method} needs a JSON object body (send {} when there is nothing to choose)`));
      }
      const r = parseJsonBytes(bytes);
      if (!r.ok) return next(groundErrors[r.code](r.message));
      if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) return next(groundErrors.invalid_request('body: the body must be a JSON object'));
      req.body = r.value;
      next();
    });
  };
}

/**
 * For a console call that takes no options (suspend, check, approve...): the
 * body must be `{}` (or absent on a DELETE). A body with members was meant for
 * some other call, or carries an option this one does not have: refused, not ignored.
 */
export function expectNoOptions(body: unknown): void {
  if (body === undefined) return;
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : null;
  if (keys === null) throw groundErrors.invalid_request('body: the body must be a JSON object');
  if (keys.length)
    throw groundErrors.invalid_request(
      `body: this call takes no options; send {} (got ${keys
        .slice(0, 3)
        .map((k) => JSON.stringify(k))
        .join(', ')})`,
    );
}
