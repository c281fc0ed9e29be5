import type { AdsPointsAnswer } from '../protocol/ads.js';
import { escapeHtml } from '../render/page-renderer.js';

/** The account page's viewing points (the same on every site): balance, the lots earned with what is left of each, and what was spent. */
export function pointsAccountHtml(p: AdsPointsAnswer): string {
  const rows = p.earned
    .map((e) => `<li>${e.points} for <code>${escapeHtml(e.ad)}</code> (${escapeHtml(e.period)}), ${e.left} left${e.expired ? ', expired' : `, until ${escapeHtml(e.expiresAt.slice(0, 10))}`}</li>`)
    .join('');
  const spent = p.spent.map((s) => `<li>${s.points} spent on ${escapeHtml(s.reason)}</li>`).join('');
  return `<section class="account-points"><h2>Viewing points</h2><p>Balance: <strong data-points-balance="${p.balance}">${p.balance}</strong> points.</p>${rows ? `<h3>Earned</h3><ul>${rows}</ul>` : '<p>Open an ad’s details to earn its points.</p>'}${spent ? `<h3>Spent</h3><ul>${spent}</ul>` : ''}</section>`;
}

/** When the main site cannot say: no figures rather than wrong ones. */
export const POINTS_UNAVAILABLE_HTML =
  '<section class="account-points"><h2>Viewing points</h2><p class="notice" role="status">Your points cannot be shown right now; try again in a minute.</p></section>';
