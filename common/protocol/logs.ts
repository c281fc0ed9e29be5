import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';
import { count, sha256Hex } from './primitives.js';

/**
 * Log shipping: a partner sends new entries of its access log, ending at a
 * checkpoint it signed, with a consistency proof from the size the main site
 * accepted; the main site answers with its cosignature.
 */
export const LOG_SHIP_LIMITS = {
  /** Entries per shipment (TIEUP_LOG_SHIP_BATCH is at most this). */
  maxEntries: 5000,
  /** One canonical v1 log line. */
  maxLineChars: 8192,
  /** A consistency proof has O(log n) hashes; 128 covers any tree of safe-integer size. */
  maxProofHashes: 128,
  /** A signed note: four body lines and a few signature lines. */
  maxCheckpointChars: 4096,
} as const;

export const logsShipRequest = z.strictObject({
  from: count,
  entries: z.array(z.string().min(1).max(LOG_SHIP_LIMITS.maxLineChars)).max(LOG_SHIP_LIMITS.maxEntries),
  checkpoint: z.string().min(1).max(LOG_SHIP_LIMITS.maxCheckpointChars),
  proof: z.array(sha256Hex).max(LOG_SHIP_LIMITS.maxProofHashes),
  // The shipper always sends the size of its whole log (so the main site can
  // show the backlog); the witness tests ship without it, and the receiver has
  // always treated it as optional.
  size: count.optional(),
});

export const logsShipAnswer = z.strictObject({
  acceptedSize: count,
  /** A C2SP cosignature/v1 line: "— <witness name> <base64>". */
  cosignature: z.string().min(1).max(1024),
  witness: z.string().min(1).max(200),
});

export const LOGS_SHIP = defineEndpoint({
  name: 'logs.ship',
  method: 'POST',
  path: '/s2s/logs/ship',
  request: logsShipRequest,
  response: logsShipAnswer,
  errors: ['bad_checkpoint', 'bad_checkpoint_signature', 'fork', 'size_mismatch', 'checkpoint_mismatch', 'time_regression', 'bad_entry'],
  callers: 'partner',
});
