import { escapeHtml } from '../render/page-renderer.js';
import type { AdDefinition } from './definition.js';

/**
 * The ad slot's markup, the same on every site. The creative never runs in our
 * page: an image is an <img>; an HTML snippet goes into an iframe with an
 * empty `sandbox` (no script, forms, popups or top navigation, its own opaque
 * origin) through `srcdoc`, escaped as an attribute. The link to the details
 * carries the delivery's signed single-use token. A partner's own ad earns no
 * points: its link (`clickHref` null) is a plain one to the ad's url, or none.
 */
export function adBlock(ad: AdDefinition, clickHref: string | null): string {
  const c = ad.creative;
  const body =
    c.kind === 'image'
      ? `<img src="${escapeHtml(c.src)}" alt="${escapeHtml(c.alt)}" loading="lazy">`
      : `<iframe class="ad-creative" sandbox="" referrerpolicy="no-referrer" title="${escapeHtml(ad.title)}" srcdoc="${escapeHtml(c.html)}"></iframe>`;
  const link = clickHref ?? ad.url;
  const more = link
    ? `<a class="ad-open" rel="nofollow${clickHref ? '' : ' noopener'}" href="${escapeHtml(link)}">${escapeHtml(ad.title)}</a>`
    : `<span class="ad-title">${escapeHtml(ad.title)}</span>`;
  const pts = clickHref && ad.points > 0 ? ` <span class="ad-points">(open it to earn ${ad.points} points)</span>` : '';
  // Block elements, so the slot reads "Advertisement / creative / link" on any site's stylesheet, styled or not.
  return `<aside class="ad-slot" data-ad="${escapeHtml(ad.id)}" aria-label="Advertisement"><p class="ad-label"><small>Advertisement</small></p><div class="ad-body">${body}</div><p class="ad-more">${more}${pts}</p></aside>`;
}
