import chokidar, { type FSWatcher } from 'chokidar';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MAX_DAMAGED_LISTED } from '../../common/protocol/index.js';
import { manifestRoot, sha256Hex, type Manifest, type ManifestEntry } from '../../common/release/manifest.js';
import { ContentView, type OriginalPage } from '../../common/render/content-view.js';
import { runNow, runSliced } from '../../common/slices.js';
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
  /** Served files whose stored bytes no longer hash to their name (the first MAX_DAMAGED_LISTED, sorted). */
  damaged: string[];
}

/** Files the view reads when it is built; assets are read (and checked) at each request instead. */
const READ_AT_BUILD = new Set<ManifestEntry['kind']>(['page', 'template', 'catalog']);

interface Built {
  view: ContentView;
  /** Damaged stored files of the release: served from an earlier release where one had them intact, else answered with 503. */
  damaged: { path: string; standIn: number | null }[];
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
  /** Counts every new served view: a job that built a view over several turns of the event loop checks that nothing changed meanwhile. */
  private gen = 0;
  /** Damaged files of the served release as last found (paths); reported when the set changes. */
  private damagedFound = new Set<string>();
  private damageReported = '';
  private damageListener: ((paths: string[]) => void) | undefined;
  private readonly damagedByView = new WeakMap<ContentView, string[]>();

  constructor(
    private readonly ctx: SiteContext,
    private readonly store: SyncStore,
    private readonly blobs: BlobStore,
  ) {
    this.view = this.serve(runNow(this.prepare(undefined, true)));
  }

  current(): ContentView {
    return this.view;
  }

  generation(): number {
    return this.gen;
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

  /**
   * Builds a view for a release (default: the active one, as served) without
   * serving it. Every stored file the view reads is checked against its hash:
   * a damaged one is never used. A preview (a release named) shows damaged
   * files as such, so a commit refuses it; the served view (`standIns`) takes
   * a damaged page, template or catalog from the newest earlier release that
   * holds the same path intact, and answers 503 where none does.
   */
  build(releaseNumber?: number, standIns = releaseNumber === undefined): ContentView {
    return this.keep(runNow(this.prepare(releaseNumber, standIns)));
  }

  /** build() in slices that give the event loop back: shoppers are served while a release's files are read and checked. */
  async buildSliced(releaseNumber?: number, standIns = releaseNumber === undefined): Promise<ContentView> {
    return this.keep(await runSliced(this.prepare(releaseNumber, standIns)));
  }

  private keep(b: Built): ContentView {
    this.damagedByView.set(
      b.view,
      b.damaged.map((d) => d.path),
    );
    return b.view;
  }

  private *prepare(releaseNumber: number | undefined, standIns: boolean): Generator<void, Built> {
    const n = releaseNumber ?? this.store.activeNumber();
    const rel = n === null ? undefined : this.store.get(n);
    let manifest = rel ? (releaseNumber === undefined ? this.servedManifest()! : rel.manifest) : null;
    const damaged: Built['damaged'] = [];
    // What the view reads while it is built, checked here once; dropped when it is built (assets are read per request).
    const checked = new Map<string, Buffer | null>();
    if (rel && manifest) {
      const earlier = standIns ? this.store.withState('previous').filter((r) => r.number !== rel.number) : [];
      const out: Manifest = [];
      for (const e of manifest) {
        if (!READ_AT_BUILD.has(e.kind)) {
          out.push(e);
          continue;
        }
        let data = checked.get(e.sha256);
        if (data === undefined) {
          data = this.blobs.readVerified(e.sha256);
          yield;
        }
        if (data) {
          checked.set(e.sha256, data);
          out.push(e);
          continue;
        }
        let standIn: { entry: ManifestEntry; number: number } | undefined;
        for (const r of earlier) {
          const alt = r.manifest.find((x) => x.path === e.path && x.sha256 !== e.sha256);
          const altData = alt ? this.blobs.readVerified(alt.sha256) : null;
          yield;
          if (alt && altData) {
            checked.set(alt.sha256, altData);
            standIn = { entry: alt, number: r.number };
            break;
          }
        }
        damaged.push({ path: e.path, standIn: standIn?.number ?? null });
        if (standIn) out.push(standIn.entry);
        else {
          checked.set(e.sha256, null);
          out.push(e);
        }
      }
      manifest = out;
    }
    const files =
      rel && manifest
        ? {
            number: rel.number,
            root: manifestRoot(manifest),
            manifest,
            read: (sha: string) => (checked.has(sha) ? checked.get(sha)! : this.readServed(sha)),
          }
        : null;
    const products = readOriginalProducts(this.ctx.config.originalDir, (message) =>
      this.ctx.logger.warn({ event: 'original_catalog_invalid', reason: message }, 'catalog.json of the original pages is invalid; original goods are not offered'),
    );
    yield;
    const view = new ContentView(files, readOriginals(this.ctx.config.originalDir), this.look(), products);
    checked.clear();
    for (const d of damaged) {
      this.ctx.logger.error(
        { event: 'stored_file_damaged', release: rel?.number, path: d.path, standIn: d.standIn },
        d.standIn === null ? `${d.path} is damaged on disk: answered with 503 until repaired` : `${d.path} is damaged on disk: served from release ${d.standIn} until repaired`,
      );
    }
    return { view, damaged };
  }

  /** An asset read at request time: checked at each read; a damaged one is reported (and answered with 503 by the view). */
  private readServed(sha: string): Buffer | null {
    const data = this.blobs.readVerified(sha);
    if (!data) {
      const paths = (this.servedManifest() ?? []).filter((e) => e.sha256 === sha).map((e) => e.path);
      this.ctx.logger.error({ event: 'stored_file_damaged', paths }, `${paths.join(', ') || sha} is damaged on disk: answered with 503 until repaired`);
      this.noteDamage([...this.damagedFound, ...paths]);
    }
    return data;
  }

  private serve(b: Built): ContentView {
    this.gen++;
    this.noteDamage(b.damaged.map((d) => d.path));
    return b.view;
  }

  /** Keeps the damaged files found for the served release and tells the listener (the report to the main site) when they change. */
  private noteDamage(paths: string[]): void {
    this.damagedFound = new Set(paths);
    const key = [...this.damagedFound].sort().join('\n');
    if (key === this.damageReported) return;
    this.damageReported = key;
    if (key && this.damageListener) this.damageListener([...this.damagedFound].sort());
  }

  /** The hashes of the damaged files last found in what is served. */
  damagedBlobs(): Set<string> {
    if (!this.damagedFound.size) return new Set();
    return new Set((this.servedManifest() ?? []).filter((e) => this.damagedFound.has(e.path)).map((e) => e.sha256));
  }

  /** Called when damaged stored files are found in what is served (at once if some already were, e.g. at start). */
  onDamage(listener: (paths: string[]) => void): void {
    this.damageListener = listener;
    if (this.damagedFound.size) listener([...this.damagedFound].sort());
  }

  /** Serves a view built for the release just activated (no emergency edits, current originals and look). */
  install(view: ContentView): void {
    this.view = view;
    this.gen++;
    this.noteDamage(this.damagedByView.get(view) ?? view.damaged);
    this.changed();
  }

  /** Rebuilds from the database and swaps in one assignment. */
  refresh(): void {
    this.view = this.serve(runNow(this.prepare(undefined, true)));
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
    return runNow(this.rehash());
  }

  /** servingState() in slices (a large release takes a while to re-hash). */
  servingStateSliced(): Promise<ServingState> {
    return runSliced(this.rehash());
  }

  private *rehash(): Generator<void, ServingState> {
    const manifest = this.servedManifest();
    if (!manifest) return { activeRelease: null, expectedRoot: null, servingRoot: null, emergencyEdits: 0, damaged: [] };
    const actual: Manifest = [];
    const damaged: string[] = [];
    for (const e of manifest) {
      let sha: string;
      try {
        sha = sha256Hex(this.blobs.read(e.sha256));
      } catch {
        sha = '0'.repeat(64);
      }
      if (sha !== e.sha256) damaged.push(e.path);
      actual.push({ ...e, sha256: sha });
      yield;
    }
    return {
      activeRelease: this.store.activeNumber(),
      expectedRoot: manifestRoot(manifest),
      servingRoot: manifestRoot(actual),
      emergencyEdits: this.store.emergencyEdits().length,
      damaged: damaged.sort().slice(0, MAX_DAMAGED_LISTED),
    };
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
