/**
 * Blob batches travel as raw bytes, not base64 inside JSON (which would add a
 * third to every page): a sequence of frames, each 32 bytes of SHA-256, a
 * 4-byte big-endian length, then the data.
 */
export interface BlobFrame {
  sha256: string;
  data: Buffer;
}

export function encodeBlobFrames(frames: BlobFrame[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const head = Buffer.alloc(36);
    Buffer.from(f.sha256, 'hex').copy(head, 0);
    head.writeUInt32BE(f.data.length, 32);
    parts.push(head, f.data);
  }
  return Buffer.concat(parts);
}

export function decodeBlobFrames(buf: Buffer, maxFrames = 100_000): BlobFrame[] {
  const out: BlobFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 36) throw new Error('truncated blob frame header');
    const sha256 = buf.subarray(off, off + 32).toString('hex');
    const len = buf.readUInt32BE(off + 32);
    off += 36;
    if (buf.length - off < len) throw new Error(`truncated blob ${sha256}`);
    out.push({ sha256, data: buf.subarray(off, off + len) });
    off += len;
    if (out.length > maxFrames) throw new Error('too many blobs in one batch');
  }
  return out;
}
