import { escapeHtml as e } from '../render/page-renderer.js';

/**
 * The account page's news block: whether the shopper gets news, and a form
 * (under the session's CSRF token) to change it. `optedIn` null: the main site
 * could not say (a partner whose main site does not answer), so no form.
 */
export function newsAccountHtml(optedIn: boolean | null, csrfToken: string, note?: string): string {
  const head = '<h2>News of new products</h2>';
  if (optedIn === null) return `<section class="news-consent">${head}<p class="notice" role="status">${e(note ?? 'Your news setting cannot be shown right now; try again in a minute.')}</p></section>`;
  const state = optedIn ? 'You get our news by e-mail. Every message has a link to stop them.' : 'You do not get our news.';
  return `<section class="news-consent">${head}<p>${state}</p>
<form method="post" action="/account/news"><input type="hidden" name="_csrf" value="${e(csrfToken)}"><input type="hidden" name="news" value="${optedIn ? 'no' : 'yes'}">
<button type="submit">${optedIn ? 'Stop sending me news' : 'Send me news of new products'}</button></form></section>`;
}
