import chokidar, { type FSWatcher } from 'chokidar';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { manifestRoot, sha256Hex, type Manifest } from '../../common/release/manifest.js';
import { ContentView, type OriginalPage } from '../../common/render/content-view.js';
import { DEFAULT_LOOK, type SiteLook } from '../../common/render/page-renderer.js';
import type { SiteContext } from '../../common/site/context.js';
import type { SyncStore } from './sync-store.js';
import type { BlobStore } from './blob-store.js';
import { CatalogError, parseCatalog, type Product } from '../../common/render/catalog.js';

const PAGE_RE = /^(.+)\.(md|ejs|html)$/;

/** The partner's own pages: a folder of its own that pushes never touch. */
export function readOriginals(dir: string): OriginalPage[] {
  const out: OriginalPage[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const full = join(d, n);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && st.size <= 1024 * 1024) {
        const rel = relative(dir, full).split(sep).join('/');
        const m = PAGE_RE.exec(rel);
        if (!m || !/^[A-Za-z0-9/_-]+$/.test(m[1]!)) continue;
        const name = m[1]!;
        const urlPath = name === 'index' ? '/' : '/' + name.replace(/\/index$/, '');
        out.push({ urlPath, file: rel, source: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(dir);
  return out;
}

/** The partner's own goods: catalog.json in its own folder (same format as a release's catalog). */
export function readOriginalProducts(dir: string, onProblem: (message: string) => void): Product[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'catalog.json'), 'utf8');
  } catch {
    return [];
  }
  try {
    return parseCatalog(text, 'original');
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    onProblem(err.message);
    return [];
  }
}

export interface ServingState {
  activeRelease: number | null;
  /** Root of the active release's manifest as acknowledged (with emergency edits applied). */
  expectedRoot: string | null;
  /** Root recomputed from the stored blobs now (what is really served). */
  servingRoot: string | null;
  emergencyEdits: number;
}

/**
 * Holds the view shoppers are served and swaps it whole: after an activation,
 * a rollback, an emergency edit, a change of original pages or of the look.
 */
export class PartnerContent {
  private view: ContentView;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly ctx: SiteContext,
    private readonly store: SyncStore,
    private readonly blobs: BlobStore,
  ) {
    this.view = this.build();
  }

  current(): ContentView {
    return this.view;
  }

  look(): SiteLook {
    const o = this.store.overrides() as Partial<SiteLook> & { siteName?: string };
    const mainPeer = this.ctx.peers.main();
    return {
      id: this.ctx.config.siteId,
      name: typeof o.siteName === 'string' ? o.siteName : this.ctx.config.siteId,
      colours: { ...DEFAULT_LOOK.colours, ...(o.colours ?? {}) },
      ...(o.logo ? { logo: o.logo } : {}),
      ...(o.contact ? { contact: o.contact } : {}),
      ...(o.blocks ? { blocks: o.blocks } : {}),
      ...(mainPeer ? { mainSiteUrl: mainPeer.baseUrl } : {}),
    };
  }

  /** The manifest shoppers get: the active release with emergency edits laid over it. */
  servedManifest(): Manifest | null {
    const n = this.store.activeNumber();
    const rel = n === null ? undefined : this.store.get(n);
    if (!rel) return null;
    const edits = new Map(this.store.emergencyEdits().map((e) => [e.path, e]));
    return rel.manifest.map((e) => {
      const ed = edits.get(e.path);
      return ed ? { ...e, sha256: ed.sha256, size: ed.size } : e;
    });
  }

  /** Builds a view for a release (default: the active one) without serving it. */
  build(releaseNumber?: number): ContentView {
    const n = releaseNumber ?? this.store.activeNumber();
    const rel = n === null ? undefined : this.store.get(n);
    const manifest = rel ? (releaseNumber === undefined ? this.servedManifest()! : rel.manifest) : null;
    const files = rel && manifest ? { number: rel.number, root: manifestRoot(manifest), manifest, read: (sha: string) => this.blobs.read(sha) } : null;
    const products = readOriginalProducts(this.ctx.config.originalDir, (message) =>
      this.ctx.logger.warn({ event: 'original_catalog_invalid', reason: message }, 'catalog.json of the original pages is invalid; original goods are not offered'),
    );
    return new ContentView(files, readOriginals(this.ctx.config.originalDir), this.look(), products);
  }

  /** Serves a view built for the release just activated (no emergency edits, current originals and look). */
  install(view: ContentView): void {
    this.view = view;
    this.changed();
  }

  /** Rebuilds from the database and swaps in one assignment. */
  refresh(): void {
    this.view = this.build();
    this.changed();
  }

  /** Runs after every new view is served (e.g. to give new original goods their stock). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Re-hashes every stored blob that is served: what the partner really serves. */
  servingState(): ServingState {
    const manifest = this.servedManifest();
    if (!manifest) return { activeRelease: null, expectedRoot: null, servingRoot: null, emergencyEdits: 0 };
    const actual = manifest.map((e) => {
      let sha: string;
      try {
        sha = sha256Hex(this.blobs.read(e.sha256));
      } catch {
        sha = '0'.repeat(64);
      }
      return { ...e, sha256: sha };
    });
    return { activeRelease: this.store.activeNumber(), expectedRoot: manifestRoot(manifest), servingRoot: manifestRoot(actual), emergencyEdits: this.store.emergencyEdits().length };
  }

  watchOriginals(): void {
    this.watcher = chokidar.watch(this.ctx.config.originalDir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
    this.watcher.on('all', () => {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.refresh();
        this.ctx.logger.info({ event: 'originals_reloaded', pages: this.view.originalPaths().length }, 'original pages reloaded');
      }, this.ctx.config.watchDebounceMs);
    });
  }

  async close(): Promise<void> {
    // A reload still waiting would read the store after the database is closed.
    clearTimeout(this.reloadTimer);
    await this.watcher?.close();
    clearTimeout(this.reloadTimer);
  }
}
