import { isUtf8 } from 'node:buffer';
import type { Request } from 'express';

/**
 * A small, strict multipart/form-data reader for the contribution form:
 * bounded size, a bounded number of parts, UTF-8 fields, at most one file.
 * Written here because the project has no multipart parser among its
 * dependencies and the form needs only this much.
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

export function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.get('content-length') ?? '0');
    if (declared > limit) {
      reject(new MultipartError(413, `the form is larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new MultipartError(413, `the form is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

export function parseMultipart(contentType: string | undefined, body: Buffer): MultipartForm {
  const m = /^multipart\/form-data\s*;.*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  if (!m) throw new MultipartError(415, 'the form must be sent as multipart/form-data');
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const out: MultipartForm = { fields: {}, file: null };
  let pos = body.indexOf(boundary);
  if (pos < 0) throw new MultipartError(400, 'the form has no parts');
  let parts = 0;
  while (true) {
    pos += boundary.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break;
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw new MultipartError(400, 'the form is malformed');
    pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) throw new MultipartError(400, 'the form is malformed');
    const head = body.subarray(pos, headEnd).toString('latin1');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), boundary]), headEnd + 4);
    if (next < 0) throw new MultipartError(400, 'the form is malformed (no closing boundary)');
    const data = body.subarray(headEnd + 4, next);
    if (++parts > MAX_PARTS) throw new MultipartError(400, `the form has more than ${MAX_PARTS} parts`);
    const disp = /content-disposition:\s*form-data\s*;\s*name="([^"]{1,64})"(?:\s*;\s*filename="([^"]{0,300})")?/i.exec(head);
    if (!disp) throw new MultipartError(400, 'a part of the form has no name');
    const name = disp[1]!;
    if (disp[2] !== undefined) {
      // An empty file input sends a part with an empty file name: no file.
      if (disp[2] !== '' || data.length) {
        if (out.file) throw new MultipartError(400, 'send one file at a time');
        out.file = { field: name, name: Buffer.from(disp[2], 'latin1').toString('utf8').split(/[\\/]/).pop()!, data: Buffer.from(data) };
      }
    } else {
      if (!isUtf8(data)) throw new MultipartError(400, 'the form is not valid UTF-8');
      if (name in out.fields) throw new MultipartError(400, `field ${name} appears twice`);
      out.fields[name] = data.toString('utf8');
    }
    pos = next + 2;
  }
  return out;
}
