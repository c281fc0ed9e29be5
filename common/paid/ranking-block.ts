import { escapeHtml } from '../render/page-renderer.js';

/** What a ranking block shows per line; each site supplies the titles (and links) of its own items. */
export interface BlockLine {
  rank: number;
  item: string;
  accesses: number;
}

/**
 * The rankings block, the same markup on every site (class names only, so
 * each site's own stylesheet gives it that site's look): overall, then per
 * category. `title` and `href` come from the site that shows it (a partner
 * links to its own entry pages; the main site, which sells nothing itself,
 * links nowhere).
 */
export function rankingsBlock(
  r: { generatedAt: string; windowDays: number; overall: BlockLine[]; categories: { category: string; lines: BlockLine[] }[] },
  title: (item: string) => string | undefined,
  href: (item: string) => string | undefined,
): string {
  const list = (lines: BlockLine[]) => {
    const rows = lines
      .filter((l) => title(l.item) !== undefined)
      .map((l) => {
        const t = escapeHtml(title(l.item)!);
        const h = href(l.item);
        return `<li data-item="${escapeHtml(l.item)}" data-rank="${l.rank}">${h ? `<a href="${escapeHtml(h)}">${t}</a>` : t} <span class="paid-accesses">${l.accesses} reading${l.accesses === 1 ? '' : 's'}</span></li>`;
      });
    return `<ol class="paid-ranking">${rows.join('')}</ol>`;
  };
  if (!r.overall.length) return '';
  const cats = r.categories.map((c) => `<section class="paid-ranking-category" data-category="${escapeHtml(c.category)}"><h3>${escapeHtml(c.category)}</h3>${list(c.lines)}</section>`).join('');
  return (
    `<section class="paid-rankings" data-generated="${escapeHtml(r.generatedAt)}"><h2>Most read</h2>` +
    `<p class="paid-rankings-note">Readings in the last ${r.windowDays} day${r.windowDays === 1 ? '' : 's'}, as of ${escapeHtml(r.generatedAt.slice(0, 16).replace('T', ' '))} UTC.</p>` +
    `<section class="paid-ranking-overall" data-category=""><h3>Overall</h3>${list(r.overall)}</section>${cats}</section>`
  );
}

/** The banner block: one item, linked. */
export function bannerBlock(item: string, title: string, href: string): string {
  return `<aside class="paid-banner" data-item="${escapeHtml(item)}"><a href="${escapeHtml(href)}">${escapeHtml(title)}</a></aside>`;
}

/** A page with blocks added at the top of its main content (after `<main ...>`, else after `<body ...>`, else in front). */
export function withBlocks(html: string, blocks: string): string {
  if (!blocks) return html;
  const m = /<main\b[^>]*>/i.exec(html) ?? /<body\b[^>]*>/i.exec(html);
  if (!m) return blocks + html;
  const at = m.index + m[0].length;
  return html.slice(0, at) + blocks + html.slice(at);
}
