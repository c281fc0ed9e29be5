import { isUtf8 } from 'node:buffer';
import busboy from 'busboy';
import type { Request } from 'express';

/**
 * The contribution form (multipart/form-data) read by busboy, held to the
 * project's rules for bodies: a bounded size and number of parts, UTF-8
 * fields (refused, never repaired with U+FFFD), each field once, at most one
 * file. busboy reads the framing; the rules are ours.
 */
export interface MultipartForm {
  fields: Record<string, string>;
  file: { field: string; name: string; data: Buffer } | null;
}

export class MultipartError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_PARTS = 20;
const MAX_FIELD_BYTES = 256 * 1024;

/** Reads the whole form of `req`, at most `limit` bytes in all. */
export function readMultipart(req: Request, limit: number): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.get('content-length') ?? '0');
    if (declared > limit) {
      req.resume();
      return reject(new MultipartError(413, `the form is larger than ${limit} bytes`));
    }
    // busboy also reads url-encoded forms; this form carries a file, so only multipart is taken.
    if (!/^multipart\/form-data\s*;/i.test(req.get('content-type') ?? '')) {
      req.resume();
      return reject(new MultipartError(415, 'the form must be sent as multipart/form-data'));
    }
    let bb: busboy.Busboy;
    try {
      // latin1 maps each byte to one character, so a field's bytes can be checked as UTF-8 before decoding.
      bb = busboy({ headers: req.headers, defCharset: 'latin1', defParamCharset: 'utf8', limits: { parts: MAX_PARTS, files: 1, fieldSize: MAX_FIELD_BYTES, fileSize: limit } });
    } catch {
      req.resume();
      return reject(new MultipartError(415, 'the form must be sent as multipart/form-data'));
    }
    const out: MultipartForm = { fields: {}, file: null };
    let failure: MultipartError | undefined;
    let size = 0;
    const fail = (e: MultipartError) => {
      if (!failure) failure = e;
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) fail(new MultipartError(413, `the form is larger than ${limit} bytes`));
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new MultipartError(413, `field ${name} is longer than ${MAX_FIELD_BYTES} bytes`));
      const bytes = Buffer.from(value, 'latin1');
      if (!isUtf8(bytes)) return fail(new MultipartError(400, 'the form is not valid UTF-8'));
      if (name in out.fields) return fail(new MultipartError(400, `field ${name} appears twice`));
      out.fields[name] = bytes.toString('utf8');
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new MultipartError(413, `the file is larger than ${limit} bytes`)));
      stream.on('close', () => {
        const data = Buffer.concat(chunks);
        // An empty file input sends a part with an empty file name: no file.
        if (!info.filename && !data.length) return;
        if (out.file) return fail(new MultipartError(400, 'send one file at a time'));
        out.file = { field: name, name: (info.filename ?? '').split(/[\\/]/).pop() ?? '', data };
      });
    });
    bb.on('filesLimit', () => fail(new MultipartError(400, 'send one file at a time')));
    bb.on('partsLimit', () => fail(new MultipartError(400, `the form has more than ${MAX_PARTS} parts`)));
    bb.on('error', (err) => {
      req.unpipe(bb);
      req.resume();
      reject(failure ?? new MultipartError(400, `the form is malformed: ${(err as Error).message}`));
    });
    bb.on('close', () => (failure ? reject(failure) : resolve(out)));
    req.pipe(bb);
  });
}
