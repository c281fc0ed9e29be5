import type { Request, Response } from 'express';
import { escapeHtml } from '../../common/render/page-renderer.js';
import type { ContentView } from '../../common/render/content-view.js';
import type { PartnerSync } from './receiver.js';
import { syncErrors } from './errors.js';

/** Releases a manager may look at: staged, kept for rollback, served, or refused. */
const PREVIEWABLE = new Set(['pending', 'previous', 'active', 'rejected']);

/**
 * Site-relative URLs in the rendered page point into the preview, so the page
 * shows the release's own assets (its CSS, its logo) and its links stay in the
 * preview. Console and protocol-relative URLs are left alone, and so is the
 * cart count picture: the cart is the live site's (a preview has none).
 */
export function rewriteForPreview(html: string, base: string): string {
  return html
    .replace(/(\s(?:href|src|action|poster)\s*=\s*)(["'])\/(?!\/|manage\/|manage["']|favicon\.|cart\/count\.svg)/gi, (_m, attr: string, q: string) => `${attr}${q}${base}/`)
    .replace(/url\(\s*(["']?)\/(?!\/)/gi, (_m, q: string) => `url(${q}${base}/`);
}

/** Puts the preview notice first inside <body> (never between </head> and <body>, which is not valid HTML). */
export function withPreviewBanner(html: string, banner: string): string {
  const body = /<body\b[^>]*>/i.exec(html);
  if (body) return html.slice(0, body.index + body[0].length) + banner + html.slice(body.index + body[0].length);
  // A layout without an explicit <body>: the parser opens it at the first content, which the notice then is.
  const head = /<\/head\s*>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + banner + html.slice(head.index + head[0].length);
  return banner + html;
}

/**
 * The preview of a release held here, as shoppers would get it once served:
 * that release's templates, pages and assets, with this partner's own pages
 * and look. One view is kept for the release last previewed, until anything
 * served changes (a new view served means new originals or a new look).
 */
export function previewHandler(p: PartnerSync) {
  let cached: { n: number; gen: number; view: ContentView } | undefined;
  const viewOf = (n: number): ContentView => {
    const gen = p.content.generation();
    if (cached?.n !== n || cached.gen !== gen) cached = { n, gen, view: p.content.build(n) };
    return cached.view;
  };
  return (req: Request, res: Response) => {
    const params = req.params as Record<string, string | undefined>;
    const n = Number(params[0]);
    const rel = Number.isSafeInteger(n) ? p.store.get(n) : undefined;
    if (!rel || !PREVIEWABLE.has(rel.state)) throw syncErrors.release_not_found(`release ${params[0]} is not held here`);
    const base = `/manage/preview/${n}`;
    const view = viewOf(n);
    const path = params[1] && params[1] !== '/' ? params[1].replace(/\/+$/, '') : '/';
    // The preview is the manager's, never a shared cache's.
    res.set('Cache-Control', 'no-store');
    if (path.startsWith('/assets/')) {
      const a = view.asset(path);
      if (!a) throw syncErrors.release_not_found(`release ${n} has no file ${path}`);
      if ('damaged' in a) {
        res.status(503).type('text').send(`${a.damaged} is damaged on disk in release ${n}.`);
        return;
      }
      // A stylesheet's own url(/assets/...) points into the preview too.
      const data = a.contentType.startsWith('text/css') ? rewriteForPreview(a.data.toString('utf8'), base) : a.data;
      res.type(a.contentType).send(data);
      return;
    }
    const banner =
      `<div class="tieup-preview-notice" role="status" style="background:#fdf0d9;color:#1d232a;padding:.5rem 1rem;font:14px system-ui,sans-serif">` +
      `Preview of release ${n} (${escapeHtml(rel.state)}); shoppers do not see this yet. <a href="/manage/sync" style="color:#1d232a">Back to releases</a></div>`;
    const page = view.page(path);
    if (!page) {
      const html = view.wrap(
        'Not part of this preview',
        `<h1>Not part of this preview</h1><p>Release ${n} has no page at <code>${escapeHtml(path)}</code>. The shop, the cart and accounts are the live site's and are not previewed.</p><p><a href="/">The release's home page</a></p>`,
      );
      res
        .status(404)
        .type('html')
        .send(withPreviewBanner(rewriteForPreview(html, base), banner));
      return;
    }
    res
      .status(page.status ?? 200)
      .type('html')
      .send(withPreviewBanner(rewriteForPreview(page.html, base), banner));
  };
}
