import { hash } from 'node:crypto';

/**
 * SHA-256 in one call. crypto.hash skips the Hash object that
 * createHash().update().digest() builds per call, which for inputs of a few
 * hundred bytes costs more than the hashing itself. Returning a latin1 string
 * (one char per byte) avoids allocating a Buffer per hash as well: about three
 * times cheaper again, for callers that write the digest into a larger buffer.
 */
export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

/** The digest as a 32-char latin1 string; write it with `buf.latin1Write(d, at, 32)`. */
export function sha256Latin1(data: Uint8Array): string {
  return hash('sha256', data, 'binary'); // 'binary' is Node's name for latin1
}
