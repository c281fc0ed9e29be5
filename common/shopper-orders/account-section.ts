import { formatMoney } from '../money.js';
import { escapeHtml as e } from '../render/page-renderer.js';
import { timeTag } from '../web/format.js';
import type { NetworkOrder } from '../protocol/index.js';

/**
 * The account page's block of the shopper's orders on the other sites of the
 * network (this site's own orders are listed by the shop above it), each
 * saying where it was placed and who ships it. Both sites show the same block.
 */
export function networkOrdersHtml(orders: NetworkOrder[], self: string, note?: string): string {
  const others = orders.filter((o) => o.placedAt !== self);
  const head = '<h2>Your orders on other sites of the network</h2>';
  const n = note ? `<p class="notice" role="status">${e(note)}</p>` : '';
  if (others.length === 0) return `<section class="network-orders">${head}${n}<p>None: every order you placed is listed above.</p></section>`;
  const rows = others
    .map(
      (o) =>
        `<tr><td>${e(o.number)}${o.linkedNumber ? ` <span class="hint">(${e(o.linkedNumber)})</span>` : ''}</td><td>${e(o.placedAt)}</td><td>${e(o.shippedBy)}</td><td>${timeTag(o.createdAt)}</td><td>${e(
          formatMoney({ amount: o.total, currency: o.currency }),
        )}</td><td class="order-state state-${e(o.state)}">${e(o.state)}</td></tr>`,
    )
    .join('');
  return `<section class="network-orders">${head}${n}<table class="orders"><thead><tr><th scope="col">Order</th><th scope="col">Placed at</th><th scope="col">Shipped by</th><th scope="col">Placed</th><th scope="col">Total</th><th scope="col">State</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}
