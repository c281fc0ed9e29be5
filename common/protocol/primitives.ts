import { z } from 'zod';
import { LIMITS, ManifestError, checkPath, validateManifest, type Manifest, type ManifestEntry } from '../release/manifest.js';
import { SITE_ID_RE } from '../site/enrolment.js';
import { validatedBy } from './endpoint.js';

/** The building blocks the declarations share, each bounded. */

export const siteId = z.string().regex(SITE_ID_RE, 'a site id is 1-32 lowercase letters, digits or "-", starting with a letter');
export const siteRole = z.enum(['main', 'partner']);
/** An RFC 7638 thumbprint (base64url SHA-256): how keys are named everywhere. */
export const keyId = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a key id is a 43-character base64url thumbprint');
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
export const releaseNumber = z.int().min(1);
/** A count or size: a non-negative safe integer. */
export const count = z.int().min(0);
/** UTC, ISO 8601, as Date.toISOString() writes it. */
export const isoTime = z.iso.datetime();
/** A statement period: a calendar month, "YYYY-MM" (the fee engine's isPeriod is this very rule). */
export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const period = z.string().regex(PERIOD_RE, 'period must be YYYY-MM');
export const currency = z.string().regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code');
/** A console user's name, as recorded with what they did (the receivers keep at most 100 characters). */
export const actor = z.string().min(1).max(100);
export const RELEASE_STATES = ['receiving', 'pending', 'active', 'previous', 'superseded', 'rejected'] as const;
export const releaseState = z.enum(RELEASE_STATES);

/** A path inside a release ("pages/about.md"), checked by the release format's own rules. */
export const releasePath = z
  .string()
  .max(LIMITS.maxPathLength)
  .superRefine((p, ctx) => {
    const c = checkPath(p);
    if ('problem' in c) ctx.addIssue({ code: 'custom', message: c.problem });
  });

const manifestCode = (err: unknown) => (err instanceof ManifestError ? err.code : undefined);

/**
 * A whole manifest, validated by validateManifest (paths, kinds, sizes,
 * counts, duplicates) and returned sorted; its codes (bad_path, too_large,
 * too_many_entries, invalid_manifest) reach the caller unchanged.
 */
export const manifest = validatedBy<ManifestEntry[], Manifest>(validateManifest, manifestCode);

/** A manifest as a difference from a release the partner holds; the result is validated again once applied. */
export const manifestDelta = z.strictObject({
  upsert: manifest,
  remove: z.array(z.string().min(1).max(LIMITS.maxPathLength)).max(LIMITS.maxEntries),
});

/** The codes a manifest (whole or delta) can be refused with. */
export const MANIFEST_ERRORS = ['invalid_manifest', 'bad_path', 'too_large', 'too_many_entries'] as const;

/**
 * A partner's contract as the main site stores and sends it: one object per
 * capability key, each carrying its version "v". The envelope is checked here;
 * each slice is checked strictly by the receiving site's own terms schemas
 * (ContractTerms.accept), which know which capabilities the site has.
 */
export const sentContract = z
  .record(
    z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    z.unknown().refine((v) => typeof v === 'object' && v !== null && !Array.isArray(v), "each capability's terms are an object"),
  )
  .refine((c) => Object.keys(c).length <= 32, 'a contract has at most 32 capability slices');
