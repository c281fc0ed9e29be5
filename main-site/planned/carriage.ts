import { z } from 'zod';
import type { Manifest, PartnerReleaseFilter, ReleaseFiles } from '../../common/release/manifest.js';
import { pageFile, saleFile } from '../../common/planned/index.js';

/**
 * Which partners carry which planner's pages travels inside the release, as
 * `assets/planned/carriage.json`, so the partner filter below is a function of
 * the release's own files: the view a partner gets of a release is the same
 * at every push, delta and drift check, and a carriedBy change reaches
 * partners exactly with the next release.
 */
export const CARRIAGE_FILE = 'assets/planned/carriage.json';
export const DIRECTORY_PAGE = 'pages/planners/index.html';
/** The directory as a partner named in no planner's list sees it (only planners carried by "all"). */
export const DIRECTORY_DEFAULT = 'assets/planned/directory-default.html';
/** The directory as one partner named in a planner's list sees it. */
export const directoryFor = (partner: string): string => `assets/planned/directory-for-${partner}.html`;

const carriedBy = z.union([z.literal('all'), z.literal('none'), z.array(z.string())]);
export const carriageIndex = z.strictObject({
  version: z.literal(1),
  planners: z.array(z.strictObject({ slug: z.string(), carriedBy, pages: z.array(z.string()) })),
  directory: z.strictObject({ default: z.string(), partners: z.array(z.strictObject({ partner: z.string(), path: z.string() })) }),
});
export type CarriageIndex = z.output<typeof carriageIndex>;

export const carries = (c: CarriageIndex['planners'][number]['carriedBy'], partner: string): boolean => c === 'all' || (Array.isArray(c) && c.includes(partner));

/** The partners that need their own directory: every one named in some planner's list. */
export const namedPartners = (planners: { carriedBy: CarriageIndex['planners'][number]['carriedBy'] }[]): string[] =>
  [...new Set(planners.flatMap((p) => (Array.isArray(p.carriedBy) ? p.carriedBy : [])))].sort();

/** Every path this capability writes into a release (pages/planned/, pages/planners/, assets/planned/). */
const isPlanned = (path: string): boolean => path.startsWith('pages/planned/') || path.startsWith('pages/planners/') || path.startsWith('assets/planned/');

function readIndex(release: ReleaseFiles): CarriageIndex | undefined {
  const e = release.manifest.find((x) => x.path === CARRIAGE_FILE);
  const data = e ? release.read(e.sha256) : undefined;
  if (!data) return undefined;
  try {
    const r = carriageIndex.safeParse(JSON.parse(data.toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What one partner receives of the planned folders of a release: the pages,
 * sale data and home pages of the planners whose carriedBy names it (or is
 * "all"), and the directory listing only those planners. Nothing else of
 * these folders: without a readable carriage index (a release made before
 * it existed, say) a partner receives none of them, never all of them.
 */
export const plannedReleaseFilter: PartnerReleaseFilter = (partner, release): Manifest => {
  if (!release.manifest.some((e) => isPlanned(e.path))) return release.manifest;
  const idx = readIndex(release);
  if (!idx) return release.manifest.filter((e) => !isPlanned(e.path));
  const allowed = new Set<string>();
  for (const p of idx.planners) {
    if (!carries(p.carriedBy, partner)) continue;
    allowed.add(`pages/planners/${p.slug}.html`);
    for (const id of p.pages) allowed.add(pageFile(id)).add(saleFile(id));
  }
  const variantPath = idx.directory.partners.find((x) => x.partner === partner)?.path ?? idx.directory.default;
  const variant = release.manifest.find((e) => e.path === variantPath);
  const out: Manifest = [];
  for (const e of release.manifest) {
    if (!isPlanned(e.path)) out.push(e);
    // The directory's path keeps its place; its bytes are the partner's own listing.
    else if (e.path === DIRECTORY_PAGE) {
      if (variant) out.push({ ...e, sha256: variant.sha256, size: variant.size });
    } else if (allowed.has(e.path)) out.push(e);
  }
  return out;
};
