import { createHash } from 'node:crypto';

/**
 * A release is an immutable manifest (path -> sha256, size, kind) plus blobs
 * stored by hash. Paths are relative, forward-slash, and live under one of five
 * top-level folders, which also fixes their kind. `paid/` holds paid items
 * (common/paid/item.ts): their pages are served only by the main site.
 */
export type EntryKind = 'page' | 'template' | 'asset' | 'catalog' | 'paid';

export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
  kind: EntryKind;
}

export type Manifest = ManifestEntry[];

export const LIMITS = {
  maxEntries: 20_000,
  maxFileBytes: 5 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  maxPathLength: 200,
  maxDepth: 8,
};

const KIND_BY_FOLDER: Record<string, EntryKind> = { pages: 'page', templates: 'template', assets: 'asset', catalog: 'catalog', paid: 'paid' };
const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HASH_RE = /^[0-9a-f]{64}$/;

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** The kind a path must have, or an explanation of why the path is refused. */
export function checkPath(path: string): { kind: EntryKind } | { problem: string } {
  if (typeof path !== 'string' || path.length === 0) return { problem: 'empty path' };
  if (path.length > LIMITS.maxPathLength) return { problem: `path longer than ${LIMITS.maxPathLength} characters` };
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return { problem: 'absolute path' };
  if (path.includes('\\')) return { problem: 'backslash in path' };
  const segments = path.split('/');
  if (segments.length > LIMITS.maxDepth) return { problem: `more than ${LIMITS.maxDepth} levels deep` };
  for (const s of segments) {
    if (s === '..' || s === '.') return { problem: 'relative segment (. or ..) in path' };
    if (!SEGMENT_RE.test(s)) return { problem: `segment "${s}" has characters outside A-Z a-z 0-9 . _ - or starts with a dot` };
  }
  const kind = KIND_BY_FOLDER[segments[0]!];
  if (!kind || segments.length < 2) return { problem: 'path must be under pages/, templates/, assets/, catalog/ or paid/' };
  return { kind };
}

/** The codes a manifest is refused with (listed in the partner's sync error catalog). */
export type ManifestCode = 'invalid_manifest' | 'too_many_entries' | 'bad_path' | 'too_large';

export class ManifestError extends Error {
  constructor(
    readonly code: ManifestCode,
    message: string,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Validates an untrusted manifest: shape, every path, sizes, counts, duplicates. Returns it sorted by path. */
export function validateManifest(value: unknown): Manifest {
  if (!Array.isArray(value)) throw new ManifestError('invalid_manifest', 'the manifest must be an array of entries');
  if (value.length > LIMITS.maxEntries) throw new ManifestError('too_many_entries', `the manifest has more than ${LIMITS.maxEntries} entries`);
  const seen = new Set<string>();
  let total = 0;
  const out: Manifest = [];
  for (const raw of value) {
    const e = raw as Partial<ManifestEntry>;
    if (!e || typeof e !== 'object') throw new ManifestError('invalid_manifest', 'every manifest entry must be an object');
    const p = checkPath(e.path as string);
    if ('problem' in p) throw new ManifestError('bad_path', `refused path ${JSON.stringify(e.path)}: ${p.problem}`);
    if (e.kind !== p.kind) throw new ManifestError('bad_path', `${e.path} must have kind ${p.kind}`);
    if (typeof e.sha256 !== 'string' || !HASH_RE.test(e.sha256)) throw new ManifestError('invalid_manifest', `${e.path}: sha256 must be 64 lowercase hex digits`);
    if (!Number.isSafeInteger(e.size) || (e.size as number) < 0) throw new ManifestError('invalid_manifest', `${e.path}: size must be a non-negative integer`);
    if ((e.size as number) > LIMITS.maxFileBytes) throw new ManifestError('too_large', `${e.path} is larger than ${LIMITS.maxFileBytes} bytes`);
    if (seen.has(e.path!)) throw new ManifestError('invalid_manifest', `${e.path} appears twice`);
    seen.add(e.path!);
    total += e.size as number;
    if (total > LIMITS.maxTotalBytes) throw new ManifestError('too_large', `the release is larger than ${LIMITS.maxTotalBytes} bytes`);
    out.push({ path: e.path!, sha256: e.sha256, size: e.size as number, kind: p.kind });
  }
  return sortManifest(out);
}

export const sortManifest = (m: Manifest): Manifest => [...m].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/**
 * The root names a manifest's exact content: SHA-256 over one line per entry
 * ("path NUL sha256 NUL size NUL kind LF") in path order. Two sites agree on
 * what is served exactly when their roots match.
 */
export function manifestRoot(m: Manifest): string {
  const h = createHash('sha256');
  for (const e of sortManifest(m)) h.update(`${e.path}\0${e.sha256}\0${e.size}\0${e.kind}\n`);
  return h.digest('hex');
}

export type PartnershipType = 'content' | 'template' | 'link';

/** Of a paid item, a partner receives only its definition and its free entry page, never its paid pages. */
const PAID_FOR_PARTNERS = /^paid\/[^/]+\/(item\.json|entry\.md)$/;

/** What a partner of a given partnership type receives of a release. */
export function filterForPartnership(m: Manifest, type: PartnershipType): Manifest {
  if (type === 'content') return m.filter((e) => e.kind !== 'paid' || PAID_FOR_PARTNERS.test(e.path));
  if (type === 'template') return m.filter((e) => e.kind === 'template');
  return [];
}

/** A release as a filter sees it: its manifest and a way to read its files' bytes. */
export interface ReleaseFiles {
  manifest: Manifest;
  read(sha256: string): Buffer | undefined;
}

/**
 * Narrows what one partner receives of a release, after its partnership type
 * (a capability's `partnerRelease` hook, see common/module.ts). It may drop
 * entries, or point an entry at another file of the same release (a listing
 * made for that partner); it must depend only on the release's own files and
 * the partner's id, so every push, delta and drift check of that release
 * sees the same view.
 */
export type PartnerReleaseFilter = (partnerId: string, release: ReleaseFiles) => Manifest;

/**
 * Applies partner filters in order. An entry a filter made up (a file the
 * release does not hold) is dropped: a partner only ever receives the
 * release's own bytes.
 */
export function applyPartnerFilters(partnerId: string, release: ReleaseFiles, filters: readonly PartnerReleaseFilter[]): Manifest {
  if (!filters.length) return release.manifest;
  const known = new Set(release.manifest.map((e) => e.sha256));
  let m = release.manifest;
  for (const f of filters) m = f(partnerId, { manifest: m, read: (h) => release.read(h) }).filter((e) => known.has(e.sha256));
  return sortManifest(m);
}

/** "pages/about.md" -> "/about"; "pages/index.md" -> "/"; "pages/docs/index.md" -> "/docs". */
export function pageUrlPath(entryPath: string): string | null {
  const m = /^pages\/(.+)\.(md|ejs|html)$/.exec(entryPath);
  if (!m) return null;
  const name = m[1]!;
  if (name === 'index') return '/';
  return '/' + name.replace(/\/index$/, '');
}
