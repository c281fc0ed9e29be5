import { ManifestError, sortManifest, type Manifest, type ManifestEntry } from './manifest.js';

export interface ManifestDelta {
  /** Entries new or changed in the target (full entries). */
  upsert: ManifestEntry[];
  /** Paths present in the base and absent from the target. */
  remove: string[];
}

export interface ManifestChanges {
  added: ManifestEntry[];
  changed: { before: ManifestEntry; after: ManifestEntry }[];
  removed: ManifestEntry[];
}

export function compareManifests(base: Manifest, target: Manifest): ManifestChanges {
  const before = new Map(base.map((e) => [e.path, e]));
  const after = new Map(target.map((e) => [e.path, e]));
  const out: ManifestChanges = { added: [], changed: [], removed: [] };
  for (const e of sortManifest(target)) {
    const b = before.get(e.path);
    if (!b) out.added.push(e);
    else if (b.sha256 !== e.sha256 || b.kind !== e.kind || b.size !== e.size) out.changed.push({ before: b, after: e });
  }
  for (const e of sortManifest(base)) if (!after.has(e.path)) out.removed.push(e);
  return out;
}

/** The difference that turns `base` into `target`: what travels instead of a whole manifest. */
export function manifestDelta(base: Manifest, target: Manifest): ManifestDelta {
  const c = compareManifests(base, target);
  return { upsert: [...c.added, ...c.changed.map((x) => x.after)], remove: c.removed.map((e) => e.path) };
}

export function applyDelta(base: Manifest, delta: ManifestDelta): unknown[] {
  if (!delta || !Array.isArray(delta.upsert) || !Array.isArray(delta.remove)) throw new ManifestError('invalid_manifest', 'a delta needs upsert and remove arrays');
  const byPath = new Map<string, unknown>(base.map((e) => [e.path, e]));
  for (const p of delta.remove) {
    if (typeof p !== 'string' || !byPath.delete(p)) throw new ManifestError('invalid_manifest', `the delta removes ${JSON.stringify(p)}, which the base does not have`);
  }
  for (const e of delta.upsert) byPath.set((e as { path?: unknown })?.path as string, e);
  // Validation (paths, sizes, kinds) is the caller's job on the result.
  return [...byPath.values()];
}
