import { createHash } from 'node:crypto';
import { pageUrlPath, type Manifest, type ManifestEntry } from '../release/manifest.js';
import { parseFrontMatter } from './front-matter.js';
import { PageRenderer, escapeHtml, titleFromPath, type NavItem, type SiteLook } from './page-renderer.js';
import { Catalog, CatalogError, parseCatalog, type Product } from './catalog.js';
import { Slicer } from '../slices.js';

/** Where a release keeps its catalog of goods. */
export const CATALOG_PATH = 'catalog/products.json';

export interface ReleaseFiles {
  number: number;
  root: string;
  manifest: Manifest;
  /** The stored bytes, or null when they no longer hash to their name: a damaged file is never served. */
  read(sha256: string): Buffer | null;
}

/** What a shopper gets for a tie-up page or asset whose stored file is damaged: a clear 503, never the damaged bytes. */
export const DAMAGED_STATUS = 503;

export interface OriginalPage {
  urlPath: string;
  file: string;
  source: string;
}

export interface ServedPage {
  html: string;
  etag: string;
  kind: 'tie-up' | 'original';
  /** Set only when the page cannot be served (its stored file is damaged); the html then says so. */
  status?: typeof DAMAGED_STATUS;
}

const CONTENT_TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  woff2: 'font/woff2',
};

/**
 * Everything one site serves at one moment: a release (or none), the site's
 * own original pages, and its look. Immutable: a new release or new originals
 * make a new view, swapped in whole, so a request never mixes two releases.
 * Pages render on first request and are kept for the life of the view.
 */
export class ContentView {
  readonly nav: NavItem[];
  readonly etagBase: string;
  private readonly renderer: PageRenderer;
  private readonly tieUpPages = new Map<string, ManifestEntry>();
  private readonly assets = new Map<string, ManifestEntry>();
  private readonly originals = new Map<string, OriginalPage>();
  private readonly rendered = new Map<string, ServedPage>();
  /** Tie-up page sources, read once when the view is built (for the menu) and reused to render. */
  private readonly sources = new Map<string, string>();
  /** Original pages hidden because a tie-up page owns the same path. */
  readonly shadowed: string[] = [];
  /**
   * Files of the release whose stored bytes failed their hash when the view was
   * built: their pages answer 503. A damaged template makes every tie-up page
   * answer 503 (any of them may use it); the site's own pages then render in
   * the framework's layout.
   */
  readonly damaged: string[] = [];
  private readonly templatesDamaged: boolean;
  /** No page owns "/": the site's home is built from its look and its pages. */
  private readonly homeGenerated: boolean;
  /** Tie-up goods from the release and the site's own goods. */
  readonly catalog: Catalog;
  /** Why the release's catalog could not be read (then it is served without one). */
  readonly catalogProblem: string | null = null;
  /** Server-built pages (shop pages) kept for the life of the view, by a key their builder chooses. */
  private readonly builtPages = new Map<string, string>();
  private readonly builtSplit = new Map<string, { before: Buffer; after: Buffer | null; etag: string }>();

  constructor(
    readonly release: ReleaseFiles | null,
    originals: OriginalPage[],
    readonly look: SiteLook,
    originalProducts: Product[] = [],
  ) {
    const templates = new Map<string, string>();
    const navItems: (NavItem & { order: number })[] = [];
    for (const e of release?.manifest ?? []) {
      if (e.kind === 'template' && e.path.endsWith('.ejs')) {
        const data = release!.read(e.sha256);
        if (data) templates.set(e.path.slice('templates/'.length), data.toString('utf8'));
        else this.damaged.push(e.path);
      } else if (e.kind === 'asset') this.assets.set('/' + e.path, e);
      else if (e.kind === 'page') {
        const url = pageUrlPath(e.path);
        if (!url) continue;
        this.tieUpPages.set(url, e);
        const data = release!.read(e.sha256);
        if (!data) this.damaged.push(e.path);
        // A damaged page keeps its place in the menu (by its path) and answers 503.
        const source = data ? data.toString('utf8') : '';
        if (data) this.sources.set(url, source);
        const meta = navMeta(url, e.path, source);
        if (meta.inNav) navItems.push({ href: url, kind: 'tie-up', title: meta.title, order: meta.order });
      }
    }
    let tieUpProducts: Product[] = [];
    const catalogEntry = release?.manifest.find((e) => e.path === CATALOG_PATH);
    if (catalogEntry) {
      const data = release!.read(catalogEntry.sha256);
      try {
        if (!data) {
          this.damaged.push(catalogEntry.path);
          throw new CatalogError('the stored catalog is damaged (it fails its hash); tie-up goods are not offered');
        }
        tieUpProducts = parseCatalog(data.toString('utf8'), 'tie-up');
      } catch (err) {
        if (!(err instanceof CatalogError)) throw err;
        this.catalogProblem = err.message;
      }
    }
    this.catalog = new Catalog(tieUpProducts, originalProducts);
    if (this.catalog.size > 0) navItems.push({ href: '/shop', kind: tieUpProducts.length ? 'tie-up' : 'original', title: 'Shop', order: 50 });
    for (const o of originals) {
      if (this.tieUpPages.has(o.urlPath)) {
        this.shadowed.push(o.urlPath);
        continue;
      }
      this.originals.set(o.urlPath, o);
      const meta = navMeta(o.urlPath, o.file, o.source);
      if (meta.inNav) navItems.push({ href: o.urlPath, kind: 'original', title: meta.title, order: meta.order });
    }
    // A site whose pages do not include a home (a partner before its first release, say) still has one: see home().
    this.homeGenerated = !this.tieUpPages.has('/') && !this.originals.has('/');
    if (this.homeGenerated) navItems.push({ href: '/', kind: 'original', title: 'Home', order: -1 });
    navItems.sort((a, b) => a.order - b.order || (a.href === '/' ? -1 : b.href === '/' ? 1 : a.href.localeCompare(b.href)));
    this.nav = navItems.map(({ href, title, kind }) => ({ href, title, kind }));
    this.templatesDamaged = this.damaged.some((p) => p.startsWith('templates/'));
    // Without one of its templates the release's layout cannot be trusted to render: the framework's serves what still can be.
    this.renderer = new PageRenderer(this.templatesDamaged ? new Map<string, string>() : templates);
    this.etagBase = createHash('sha256')
      .update(JSON.stringify([release?.root ?? null, look, originals.map((o) => [o.urlPath, o.source]), originalProducts]))
      .digest('base64url')
      .slice(0, 16);
  }

  hasPage(urlPath: string): boolean {
    return this.tieUpPages.has(urlPath) || this.originals.has(urlPath) || (urlPath === '/' && this.homeGenerated);
  }

  /** The Markdown source of a page this view serves (tie-up or original), for capabilities that read structured content from it (coordination's component lists). */
  pageSource(urlPath: string): string | null {
    return this.tieUpPages.has(urlPath) ? (this.sources.get(urlPath) ?? null) : (this.originals.get(urlPath)?.source ?? null);
  }

  page(urlPath: string): ServedPage | null {
    const cached = this.rendered.get(urlPath);
    if (cached) return cached;
    const tie = this.tieUpPages.get(urlPath);
    const orig = tie ? undefined : this.originals.get(urlPath);
    if (!tie && !orig) {
      if (urlPath !== '/' || !this.homeGenerated) return null;
      const page: ServedPage = { html: this.home(), kind: 'original', etag: this.etagFor('generated-home') };
      this.rendered.set(urlPath, page);
      return page;
    }
    if (tie && (this.templatesDamaged || !this.sources.has(urlPath))) {
      const page: ServedPage = { html: this.unavailable(urlPath), kind: 'tie-up', etag: '', status: DAMAGED_STATUS };
      this.rendered.set(urlPath, page);
      return page;
    }
    const source = tie ? this.sources.get(urlPath)! : orig!.source;
    const kind = tie ? 'tie-up' : 'original';
    const { html } = this.renderer.render({ urlPath, file: tie ? tie.path : orig!.file, source, kind }, this.look, this.nav, this.release?.number ?? null);
    const page: ServedPage = { html, kind, etag: `"${this.etagBase}-${createHash('sha256').update(urlPath).digest('base64url').slice(0, 10)}"` };
    this.rendered.set(urlPath, page);
    return page;
  }

  /**
   * Renders pages once so a release whose pages do not render is refused before
   * it is served. Given the manifest already served, only what changed is
   * rendered, unless a template changed, which can break any page.
   */
  renderAll(served?: Manifest): { path: string; error: string }[] {
    const problems = this.problems();
    for (const url of this.toCheck(served)) this.check(url, problems);
    return problems;
  }

  /** renderAll in slices that give the event loop back, so shoppers are served while a release is checked. */
  async renderAllSliced(served?: Manifest, budgetMs?: number): Promise<{ path: string; error: string }[]> {
    const problems = this.problems();
    const slicer = new Slicer(budgetMs);
    for (const url of this.toCheck(served)) {
      this.check(url, problems);
      await slicer.tick();
    }
    return problems;
  }

  private problems(): { path: string; error: string }[] {
    const problems = this.damaged.map((path) => ({ path, error: 'the stored file is damaged (it does not hash to its name)' }));
    if (this.catalogProblem && !this.damaged.includes(CATALOG_PATH)) problems.push({ path: CATALOG_PATH, error: this.catalogProblem });
    return problems;
  }

  private check(url: string, problems: { path: string; error: string }[]): void {
    try {
      this.page(url);
    } catch (err) {
      problems.push({ path: url, error: (err as Error).message });
    }
  }

  private toCheck(served?: Manifest): string[] {
    let urls = [...this.tieUpPages.keys(), ...this.originals.keys()];
    if (served && this.release) {
      const before = new Map(served.map((e) => [e.path, e.sha256]));
      const changed = this.release.manifest.filter((e) => before.get(e.path) !== e.sha256);
      if (!changed.some((e) => e.kind === 'template')) {
        const changedPages = new Set(changed.map((e) => pageUrlPath(e.path)).filter((u): u is string => u !== null));
        urls = urls.filter((u) => changedPages.has(u));
        if (urls.length === 0 && this.tieUpPages.size > 0) urls = [this.tieUpPages.keys().next().value!];
      }
    }
    return urls;
  }

  /**
   * The home of a site with no page at "/": its name, its contact line and its
   * own pages, in its own look. A partner before its first approved release
   * shows this instead of a 404.
   */
  private home(): string {
    const links = this.nav.filter((n) => n.href !== '/').map((n) => `<li><a href="${escapeHtml(n.href)}">${escapeHtml(n.title)}</a></li>`);
    const body = [
      `<h1>${escapeHtml(this.look.name)}</h1>`,
      this.look.contact ? `<p>${escapeHtml(this.look.contact)}</p>` : '',
      links.length ? `<ul class="site-pages">${links.join('')}</ul>` : '<p>More pages are coming soon.</p>',
    ].join('');
    return this.renderer.renderHtml(this.look, this.nav, 'Home', body, this.release?.number ?? null, { path: '/', kind: 'original' });
  }

  /** The 503 page for a tie-up page or asset whose stored file is damaged. */
  unavailable(urlPath: string): string {
    const title = 'Page temporarily unavailable';
    const message = `The page at ${urlPath} on ${this.look.name} cannot be shown right now: its stored copy is damaged and is being restored. Please try again in a few minutes.`;
    try {
      return this.renderer.renderMessage(this.look, this.nav, title, message, this.release?.number ?? null);
    } catch {
      return `<!doctype html><title>${title}</title><h1>${title}</h1><p>${escapeHtml(message)}</p>`;
    }
  }

  /** A page from source that is not one of the view's own (a paid item's page), rendered with the view's templates and look. */
  renderSource(urlPath: string, file: string, source: string): string {
    return this.renderer.render({ urlPath, file, source, kind: 'tie-up' }, this.look, this.nav, this.release?.number ?? null).html;
  }

  /** A message page (title and text, escaped here) in the view's look. */
  message(title: string, text: string): string {
    return this.renderer.renderMessage(this.look, this.nav, title, text, this.release?.number ?? null);
  }

  notFound(urlPath: string): string {
    return this.renderer.renderMessage(this.look, this.nav, 'Page not found', `There is no page at ${urlPath} on ${this.look.name}.`, this.release?.number ?? null);
  }

  /** Server-generated HTML (already escaped) in this site's look. */
  wrap(title: string, html: string, page: { path: string; kind: 'tie-up' | 'original' } = { path: '', kind: 'original' }): string {
    return this.renderer.renderHtml(this.look, this.nav, title, html, this.release?.number ?? null, page);
  }

  /** A server-built page, built once per view and key (the key names everything the page shows). */
  built(key: string, build: () => string): string {
    let html = this.builtPages.get(key);
    if (html === undefined) {
      html = build();
      // A bound against keys an outsider could multiply (they all come from catalog ids, but stay safe).
      if (this.builtPages.size < 50_000) this.builtPages.set(key, html);
    }
    return html;
  }

  /** The ETag of a server-built page: the view's base and the page's key. */
  etagFor(key: string): string {
    return `"${this.etagBase}-${createHash('sha256').update(key).digest('base64url').slice(0, 10)}"`;
  }

  /**
   * A server-built page split around a per-request slot (a form token), as
   * bytes, with its ETag: the hot product page only joins three buffers.
   */
  builtParts(key: string, slot: string, build: () => string): { before: Buffer; after: Buffer | null; etag: string } {
    let parts = this.builtSplit.get(key);
    if (!parts) {
      // Kept only as bytes: the string form is not served.
      const html = this.builtPages.get(key) ?? build();
      const at = html.indexOf(slot);
      // A layout that drops the content has no slot: the page goes out as built.
      parts =
        at < 0
          ? { before: Buffer.from(html), after: null, etag: this.etagFor(key) }
          : { before: Buffer.from(html.slice(0, at)), after: Buffer.from(html.slice(at + slot.length)), etag: this.etagFor(key) };
      if (this.builtSplit.size < 50_000) this.builtSplit.set(key, parts);
    }
    return parts;
  }

  /** A release asset; `damaged` when its stored bytes fail their hash (read at each request, so checked at each request). */
  asset(urlPath: string): { data: Buffer; contentType: string; etag: string } | { damaged: string } | null {
    const e = this.assets.get(urlPath);
    if (!e) return null;
    const data = this.release!.read(e.sha256);
    if (!data) return { damaged: e.path };
    const ext = e.path.split('.').pop()!.toLowerCase();
    return { data, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream', etag: `"${e.sha256.slice(0, 24)}"` };
  }

  tieUpPaths(): string[] {
    return [...this.tieUpPages.keys()];
  }

  originalPaths(): string[] {
    return [...this.originals.keys(), ...this.shadowed];
  }
}

/**
 * The menu lists the home page and the pages that ask for a place in it with
 * front matter "nav: <order>"; a site of thousands of pages keeps a short menu.
 */
function navMeta(url: string, file: string, source: string): { title: string; order: number; inNav: boolean } {
  let title = titleFromPath(url);
  let order = url === '/' ? -1 : 100;
  let inNav = url === '/';
  if (file.endsWith('.md')) {
    const a = parseFrontMatter(source).attributes;
    if (typeof a.title === 'string') title = a.title;
    if (typeof a.nav === 'number') {
      order = a.nav;
      inNav = true;
    }
  } else {
    const t = /<h1[^>]*>([^<]{1,200})<\/h1>/i.exec(source);
    if (t) title = t[1]!.trim();
  }
  return { title, order, inNav };
}
