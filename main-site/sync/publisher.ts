import chokidar, { type FSWatcher } from 'chokidar';
import { applyPartnerFilters, filterForPartnership, manifestRoot, pageUrlPath, type PartnerReleaseFilter } from '../../common/release/manifest.js';
import { ContentView } from '../../common/render/content-view.js';
import { DEFAULT_LOOK } from '../../common/render/page-renderer.js';
import type { SiteContext } from '../../common/site/context.js';
import { scanContent } from './content-scanner.js';
import type { Release, ReleaseStore } from './release-store.js';
import type { MainSyncStore } from './sync-store.js';
import { readSyncTerms } from '../../common/sync/terms.js';
import type { MainContent } from './main-content.js';
import { syncErrors } from './errors.js';

export interface PublishResult {
  created: boolean;
  release: Release;
  unpublished: string[];
  /** Partners that will not receive this release until a page is renamed: their own pages use its paths. */
  collisions: { partner: string; paths: string[] }[];
}

export interface PublisherDeps {
  ctx: SiteContext;
  releases: ReleaseStore;
  sync: MainSyncStore;
  content: MainContent;
}

/**
 * Builds an immutable release from the content folder and the brand framework.
 * Refuses, with every reason listed: unreadable or unsafe files and pages that
 * do not render. Publishing unchanged content creates nothing.
 *
 * A page path a partner already uses for an original page does not stop the
 * release: what a partner reports about its own pages may only ever hold back
 * that partner's pushes (see pathCollisions), never the release for the main
 * site and every other partner. The result lists those partners.
 */
export function publish(d: PublisherDeps, note: string, by: string): PublishResult {
  const { config } = d.ctx;
  const scan = scanContent(config.contentDir, config.templatesDir);
  if (scan.problems.length) throw syncErrors.invalid_content(`the content cannot be published: ${scan.problems.join('; ')}`, { problems: scan.problems });
  if (!scan.manifest.some((e) => e.kind === 'page')) throw syncErrors.invalid_content(`no pages under ${config.contentDir}/pages`);

  const preview = new ContentView({ number: 0, root: '', manifest: scan.manifest, read: (h) => scan.blobs.get(h)! }, [], { id: config.siteId, name: 'preview', ...DEFAULT_LOOK });
  const broken = preview.renderAll(d.releases.latest()?.manifest);
  if (broken.length) throw syncErrors.render_failed(`pages do not render: ${broken.map((b) => `${b.path}: ${b.error.split('\n')[0]}`).join('; ')}`, { pages: broken });

  const collisions: PublishResult['collisions'] = [];
  for (const peer of d.ctx.peers.list().filter((p) => p.role === 'partner')) {
    // Only content partners receive pages. Unreadable sync terms count as content here: when they are
    // written again the partner may well receive this release, so its collisions are not overlooked.
    const t = readSyncTerms(peer.contract);
    if (t.ok && t.terms?.partnershipType !== 'content') continue;
    const paths = pathCollisions(d.sync.get(peer.id).originalPaths, scan.manifest);
    if (paths.length) collisions.push({ partner: peer.id, paths });
  }

  const root = manifestRoot(scan.manifest);
  const latest = d.releases.latest();
  if (latest && latest.root === root) return { created: false, release: latest, unpublished: scan.unpublished, collisions };
  const used = new Map([...scan.blobs].filter(([h]) => scan.manifest.some((e) => e.sha256 === h)));
  const release = d.releases.create(root, note.slice(0, 2000), scan.manifest, used, by);
  d.content.refresh();
  // Every partner's "up to date" changes with a new release.
  d.ctx.live.publish('sync', 'release');
  d.ctx.logger.info({ event: 'release_published', release: release.number, root, files: release.manifest.length, by }, `release ${release.number} published`);
  for (const c of collisions) {
    d.ctx.logger.warn(
      { event: 'release_path_collision', release: release.number, partner: c.partner, paths: c.paths },
      `release ${release.number} is held back from ${c.partner}: its own pages use ${c.paths.join(', ')}`,
    );
  }
  return { created: true, release, unpublished: scan.unpublished, collisions };
}

/**
 * The page paths of a manifest that a partner uses for its own (original)
 * pages. The partner's list is whatever it last reported; it can only ever
 * hold back that partner's own pushes. Anything but strings is ignored, so a
 * stored value of another shape can never make publishing or pushing fail.
 */
export function pathCollisions(originalPaths: readonly unknown[], manifest: readonly { path: string }[]): string[] {
  const own = new Set(originalPaths.filter((p): p is string => typeof p === 'string'));
  if (!own.size) return [];
  return [...new Set(manifest.map((e) => pageUrlPath(e.path)).filter((p): p is string => p !== null && own.has(p)))].sort();
}

/**
 * What one partner receives of a release, and the root of that: the view of
 * its partnership type, narrowed by the modules' partner filters (planned
 * pages its planners' contracts do not let it carry). The filters read only
 * the release's own files, so the view of a release never changes.
 */
export function releaseFor(
  d: { releases: ReleaseStore; partnerFilters?: () => readonly PartnerReleaseFilter[] },
  release: Release,
  type: Parameters<typeof filterForPartnership>[1],
  partnerId: string,
) {
  const byType = filterForPartnership(release.manifest, type);
  const manifest = applyPartnerFilters(partnerId, { manifest: byType, read: (h) => d.releases.blob(h) }, d.partnerFilters?.() ?? []);
  return { manifest, root: manifestRoot(manifest) };
}

/** Watches the content folder and the framework; publishes after edits settle. */
export function watchContent(d: PublisherDeps): FSWatcher {
  const { config, logger } = d.ctx;
  let timer: NodeJS.Timeout | undefined;
  const watcher = chokidar.watch([config.contentDir, config.templatesDir], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 30 } });
  watcher.on('all', (_event, path) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        publish(d, `edited ${path.replace(config.contentDir + '/', '').replace(config.templatesDir + '/', 'templates/')}`, 'watcher');
      } catch (err) {
        logger.warn({ event: 'auto_publish_refused', reason: (err as Error).message }, 'content changed but cannot be published');
      }
    }, config.watchDebounceMs);
  });
  return watcher;
}
