import { escapeHtml } from '../../common/render/page-renderer.js';
import { formatMoney } from '../../common/money.js';
import type { AccountSection } from '../../common/module.js';
import type { PartnerPaid } from './partner-paid.js';

const day = (iso: string) => {
  const d = new Date(iso);
  return `<time datetime="${d.toISOString()}">${escapeHtml(d.toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }))}</time>`;
};

/**
 * "Paid content" on a member's account page: their subscriptions with the day
 * each is paid until (or ends), and what this site charged them for reading,
 * newest first: the lines of their bill here, so a charge is never a surprise.
 */
export function paidAccountSection(paid: PartnerPaid): AccountSection {
  return ({ userId }) => {
    const now = new Date().toISOString();
    const subs = paid.store.subscriptionsOf(userId, now);
    const charges = paid.store.chargesOf(userId, 50);
    if (!subs.length && !charges.length) return '';
    const items = paid.items();
    const title = (id: string) => `<a href="/paid/${encodeURIComponent(id)}">${escapeHtml(items.get(id)?.item.title ?? id)}</a>`;
    const subRows = subs.map((s) => `<li data-subscription="${escapeHtml(s.item)}">${title(s.item)}: ${s.cancelledAt ? 'ends' : 'paid until'} ${day(s.periodEnd)}</li>`).join('');
    const chargeRows = charges
      .map(
        (c) =>
          `<tr data-charge="${escapeHtml(c.id)}"><td>${day(c.createdAt)}</td><td>${title(c.item)}</td><td>${c.kind === 'access' ? 'reading' : 'subscription'}</td><td class="num">${escapeHtml(
            formatMoney({ amount: c.amount, currency: c.currency }),
          )}</td></tr>`,
      )
      .join('');
    return (
      `<section class="account-paid"><h2>Paid content</h2>` +
      (subs.length ? `<h3>Your subscriptions</h3><ul>${subRows}</ul>` : '') +
      (charges.length
        ? `<h3>Charged on your bill here</h3><table class="paid-charges"><thead><tr><th>Day</th><th>Item</th><th>For</th><th class="num">Amount</th></tr></thead><tbody>${chargeRows}</tbody></table>` +
          (charges.length === 50 ? '<p>The 50 most recent charges.</p>' : '')
        : '') +
      `</section>`
    );
  };
}
