import { Marked } from 'marked';
import { fromRoot } from '../paths.js';
import { readFileSync } from 'node:fs';
import { parseFrontMatter } from './front-matter.js';
import { TemplateSandbox } from './sandbox.js';

export interface SiteLook {
  id: string;
  name: string;
  colours: { primary: string; background: string; text: string };
  logo?: string;
  contact?: string;
  /** Named blocks a partner replaces (e.g. "footer"); templates fall back to their own. */
  blocks?: Record<string, string>;
  mainSiteUrl?: string;
}

export interface NavItem {
  href: string;
  title: string;
  kind: 'tie-up' | 'original';
}

export interface PageSource {
  /** URL path, e.g. "/about". */
  urlPath: string;
  /** The file name inside its folder, e.g. "pages/about.md" or "about.md". */
  file: string;
  source: string;
  kind: 'tie-up' | 'original';
}

export interface RenderedPage {
  title: string;
  html: string;
}

export const DEFAULT_LOOK: Omit<SiteLook, 'id' | 'name'> = { colours: { primary: '#2456a6', background: '#ffffff', text: '#1d232a' } };

/** The framework Tieup falls back to when a site has no release templates (a link partner, or before the first push). */
let fallbackLayout: string | undefined;
function fallbackTemplates(): Map<string, string> {
  fallbackLayout ??= readFileSync(fromRoot('common/render/fallback-layout.ejs'), 'utf8');
  return new Map([['layout.ejs', fallbackLayout]]);
}

/**
 * Markdown is text: raw HTML written inside it (by the main operator in a
 * tie-up page or a partner in an original page) is shown as text, never run.
 * Pages that need markup are .html or .ejs files, which are the operator's own.
 */
const markdown = new Marked({ renderer: { html: ({ text }) => escapeHtml(text) } });

export function titleFromPath(urlPath: string): string {
  if (urlPath === '/') return 'Home';
  const last = urlPath.split('/').pop()!;
  return last.charAt(0).toUpperCase() + last.slice(1).replace(/[-_]/g, ' ');
}

/**
 * What a capability adds to every Markdown page from the page's own source,
 * appended after its body (coordination: a job method's component list and its
 * JSON-LD). The capability escapes what it writes and returns "" for pages it
 * has nothing for. Registered once per process, before pages are rendered.
 */
export type MarkdownAddition = (page: { urlPath: string; kind: 'tie-up' | 'original'; source: string; title: string }) => string;
const markdownAdditions: MarkdownAddition[] = [];
export function addMarkdownAddition(addition: MarkdownAddition): void {
  if (!markdownAdditions.includes(addition)) markdownAdditions.push(addition);
}

/**
 * Renders pages of one release (its templates) for one site (its look). Built
 * once per release; pages are rendered on demand by the caller, who caches.
 */
export class PageRenderer {
  private readonly sandbox: TemplateSandbox;
  readonly usesFallback: boolean;

  /** `templates` maps names relative to templates/ ("layout.ejs") to sources. */
  constructor(templates: Map<string, string>) {
    this.usesFallback = !templates.has('layout.ejs');
    this.sandbox = new TemplateSandbox(this.usesFallback ? fallbackTemplates() : templates);
  }

  render(page: PageSource, look: SiteLook, nav: NavItem[], release: number | null): RenderedPage {
    let title = titleFromPath(page.urlPath);
    let content: string;
    if (page.file.endsWith('.md')) {
      const fm = parseFrontMatter(page.source);
      if (typeof fm.attributes.title === 'string') title = fm.attributes.title;
      content = markdown.parse(fm.body, { async: false });
      for (const add of markdownAdditions) content += add({ urlPath: page.urlPath, kind: page.kind, source: page.source, title });
    } else if (page.file.endsWith('.ejs')) {
      const name = `page:${page.file}`;
      if (!this.sandbox.has(name)) this.sandbox.add(name, page.source);
      content = this.sandbox.render(name, { site: look, nav, release, page: { path: page.urlPath, kind: page.kind } });
    } else {
      content = page.source;
      const t = /<h1[^>]*>([^<]{1,200})<\/h1>/i.exec(content);
      if (t) title = t[1]!.trim();
    }
    const html = this.sandbox.render('layout.ejs', { site: look, nav, release, page: { title, path: page.urlPath, kind: page.kind }, content });
    return { title, html };
  }

  /** Our own (already escaped) HTML inside the site's layout: account pages, forms. */
  renderHtml(look: SiteLook, nav: NavItem[], title: string, html: string, release: number | null, page: { path: string; kind: 'tie-up' | 'original' } = { path: '', kind: 'original' }): string {
    return this.sandbox.render('layout.ejs', { site: look, nav, release, page: { title, ...page }, content: html });
  }

  renderMessage(look: SiteLook, nav: NavItem[], title: string, message: string, release: number | null): string {
    return this.sandbox.render('layout.ejs', { site: look, nav, release, page: { title, path: '', kind: 'original' }, content: `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` });
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
