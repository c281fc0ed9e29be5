import chokidar, { type FSWatcher } from 'chokidar';
import { filterForPartnership, manifestRoot, pageUrlPath } from '../../common/release/manifest.js';
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
}

export interface PublisherDeps {
  ctx: SiteContext;
  releases: ReleaseStore;
  sync: MainSyncStore;
  content: MainContent;
}

/**
 * Builds an immutable release from the content folder and the brand framework.
 * Refuses, with every reason listed: unreadable or unsafe files, pages that do
 * not render, and page paths a partner already uses for an original page.
 * Publishing unchanged content creates nothing.
 */
export function publish(d: PublisherDeps, note: string, by: string): PublishResult {
  const { config } = d.ctx;
  const scan = scanContent(config.contentDir, config.templatesDir);
  if (scan.problems.length) throw syncErrors.invalid_content(`the content cannot be published: ${scan.problems.join('; ')}`, { problems: scan.problems });
  if (!scan.manifest.some((e) => e.kind === 'page')) throw syncErrors.invalid_content(`no pages under ${config.contentDir}/pages`);

  const preview = new ContentView({ number: 0, root: '', manifest: scan.manifest, read: (h) => scan.blobs.get(h)! }, [], { id: config.siteId, name: 'preview', ...DEFAULT_LOOK });
  const broken = preview.renderAll(d.releases.latest()?.manifest);
  if (broken.length) throw syncErrors.render_failed(`pages do not render: ${broken.map((b) => `${b.path}: ${b.error.split('\n')[0]}`).join('; ')}`, { pages: broken });

  const pagePaths = new Set(scan.manifest.map((e) => pageUrlPath(e.path)).filter((p): p is string => p !== null));
  const collisions: string[] = [];
  for (const peer of d.ctx.peers.list().filter((p) => p.role === 'partner')) {
    // Only content partners receive pages. Unreadable sync terms count as content here: when they are
    // written again the partner may well receive this release, so its collisions are not overlooked.
    const t = readSyncTerms(peer.contract);
    if (t.ok && t.terms?.partnershipType !== 'content') continue;
    const clash = d.sync.get(peer.id).originalPaths.filter((p) => pagePaths.has(p));
    if (clash.length) collisions.push(`${peer.id} already has original page(s) ${clash.join(', ')}`);
  }
  if (collisions.length) throw syncErrors.path_collision(`a tie-up page cannot use a path a partner uses for its own page: ${collisions.join('; ')}. Rename the page, or ask the partner to.`);

  const root = manifestRoot(scan.manifest);
  const latest = d.releases.latest();
  if (latest && latest.root === root) return { created: false, release: latest, unpublished: scan.unpublished };
  const used = new Map([...scan.blobs].filter(([h]) => scan.manifest.some((e) => e.sha256 === h)));
  const release = d.releases.create(root, note.slice(0, 2000), scan.manifest, used, by);
  d.content.refresh();
  d.ctx.logger.info({ event: 'release_published', release: release.number, root, files: release.manifest.length, by }, `release ${release.number} published`);
  return { created: true, release, unpublished: scan.unpublished };
}

/** What a partner of a given type receives of a release, and the root of that. */
export function releaseFor(release: Release, type: Parameters<typeof filterForPartnership>[1]) {
  const manifest = filterForPartnership(release.manifest, type);
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
