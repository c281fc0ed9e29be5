import type { AccountSectionHtml } from '../module.js';
import { formatMoney } from '../money.js';
import { escapeHtml as e } from '../render/page-renderer.js';
import { categoryTitle, type Product } from '../render/catalog.js';
import { SETTLEMENTS, nextStepText, type DeliveryAddress, type OrderView, type Settlement } from './order-states.js';

/**
 * The shop's HTML, built by the server from catalog and order data. Every
 * value that an operator, a partner or a shopper wrote goes through escapeHtml;
 * nothing here is a template a release could change.
 */

/** Where the per-shopper form token goes in a page built once for everyone: escaped text can never contain "<". */
export const CSRF_SLOT = '<tieup-csrf>';

export const money = (amount: number, currency: string): string => formatMoney({ amount, currency });

/** Below this many, a shopper is told the number ("7 left"), as shops do when it may matter. */
export const FEW_LEFT = 10;

/** What a shopper is told about availability; with `inCart`, whether that many can be had. */
export function availabilityText(n: number | null, inCart = 0): { label: string; cls: string } {
  if (n === null) return { label: 'Availability is confirmed when you order', cls: 'avail-unknown' };
  if (n <= 0) return { label: 'Out of stock', cls: 'avail-out' };
  if (inCart > n) return { label: `Only ${n} left: lower the quantity`, cls: 'avail-out' };
  if (n <= FEW_LEFT) return { label: `${n} left`, cls: 'avail-few' };
  return { label: 'In stock', cls: 'avail-in' };
}

const productLink = (p: Product) => `<a href="/shop/product/${encodeURIComponent(p.id)}">${e(p.name)}</a>`;

/** A product's picture URL at a width, if it has one (the routes know the release's assets). */
export type ImageOf = (p: Product, w: 80 | 160 | 320 | 640) => string | null;
const noImages: ImageOf = () => null;

const thumb = (p: Product, img: ImageOf) => {
  const src = img(p, 80);
  return src ? `<img class="thumb" src="${e(src)}" srcset="${e(img(p, 160) ?? src)} 2x" width="80" height="60" alt="" loading="lazy">` : '';
};

function productList(products: Product[], img: ImageOf): string {
  if (products.length === 0) return '<p>No products here.</p>';
  return `<ul class="products">${products.map((p) => `<li>${thumb(p, img)}${productLink(p)} <span class="price">${money(p.price, p.currency)}</span></li>`).join('')}</ul>`;
}

function searchForm(q = ''): string {
  return `<form method="get" action="/shop" class="search" role="search"><label>Search products <input name="q" value="${e(q)}" maxlength="100"></label> <button type="submit">Search</button></form>`;
}

export function shopIndexHtml(categories: { id: string; count: number }[], featured: Product[], img: ImageOf = noImages): string {
  const cats = categories.map((c) => `<li><a href="/shop/category/${encodeURIComponent(c.id)}">${e(categoryTitle(c.id))}</a> (${c.count})</li>`).join('');
  return `<h1>Shop</h1>${searchForm()}<h2>Categories</h2><ul class="categories">${cats}</ul><h2>All products</h2>${productList(featured, img)}`;
}

export function searchHtml(q: string, results: Product[], img: ImageOf = noImages): string {
  return `<h1>Search</h1>${searchForm(q)}<p>${results.length} product(s) match “${e(q)}”.</p>${productList(results, img)}`;
}

export function categoryHtml(category: string, products: Product[], img: ImageOf = noImages): string {
  return `<nav class="crumbs"><a href="/shop">Shop</a> › ${e(categoryTitle(category))}</nav><h1>${e(categoryTitle(category))}</h1>${productList(products, img)}`;
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${e(p)}</p>`)
    .join('');
}

/** The product page, with CSRF_SLOT where the shopper's form token goes. */
export function productHtml(p: Product, available: number | null, img: ImageOf = noImages): string {
  const a = availabilityText(available);
  const out = available !== null && available <= 0;
  const src = img(p, 320);
  const picture = src ? `<img class="product-image" src="${e(src)}" srcset="${e(img(p, 640) ?? src)} 2x" width="320" height="240" alt="${e(p.name)}">` : '';
  return `<nav class="crumbs"><a href="/shop">Shop</a> › <a href="/shop/category/${encodeURIComponent(p.category)}">${e(categoryTitle(p.category))}</a></nav>
<article class="product" data-product="${e(p.id)}">
<h1>${e(p.name)}</h1>
${picture}
<p class="price">${money(p.price, p.currency)}</p>
<p class="availability ${a.cls}">${e(a.label)}</p>
<div class="description">${paragraphs(p.description)}</div>
<form method="post" action="/cart/add" class="add-to-cart">
<input type="hidden" name="_csrf" value="${CSRF_SLOT}"><input type="hidden" name="product" value="${e(p.id)}">
<label>Quantity <input name="qty" type="number" min="1" max="${available !== null && available > 0 ? Math.min(99, available) : 99}" value="1" required></label>
<button type="submit"${out ? ' disabled' : ''}>Add to cart</button>
</form>
</article>`;
}

export interface CartLineView {
  product: Product;
  qty: number;
  group: { id: string; label: string };
  available: number | null;
}

export function cartHtml(lines: CartLineView[], csrf: string, notice?: string, pendingRef?: string): string {
  const pending = pendingRef ? ` <a href="/checkout/pending/${encodeURIComponent(pendingRef)}">See the order being confirmed</a>.` : '';
  const note = notice ? `<p class="notice" role="status">${e(notice)}${pending}</p>` : '';
  if (lines.length === 0) return `<h1>Your cart</h1>${note}<p>Your cart is empty. <a href="/shop">Browse the shop</a>.</p>`;
  const groups = new Map<string, { label: string; lines: CartLineView[] }>();
  for (const l of lines) {
    const g = groups.get(l.group.id) ?? { label: l.group.label, lines: [] };
    g.lines.push(l);
    groups.set(l.group.id, g);
  }
  const several = groups.size > 1;
  let body = '';
  for (const [id, g] of groups) {
    const total = g.lines.reduce((s, l) => s + l.qty * l.product.price, 0);
    const currency = g.lines[0]!.product.currency;
    body += `<section class="cart-group"><h2>${e(g.label)}</h2><table><thead><tr><th>Product</th><th>Price</th><th>Quantity</th><th>Subtotal</th></tr></thead><tbody>`;
    for (const l of g.lines) {
      const a = availabilityText(l.available, l.qty);
      body += `<tr><td>${productLink(l.product)} <small class="${a.cls}">${e(a.label)}</small></td><td>${money(l.product.price, l.product.currency)}</td><td><input form="cart-update" name="qty_${e(l.product.id)}" type="number" min="0" max="99" value="${l.qty}" aria-label="Quantity of ${e(l.product.name)}"></td><td>${money(l.qty * l.product.price, l.product.currency)}</td></tr>`;
    }
    body += `</tbody></table><p class="total">Total: <strong>${money(total, currency)}</strong></p><p><a class="button checkout" href="/checkout?group=${encodeURIComponent(id)}">Check out${several ? ' these items' : ''}</a></p></section>`;
  }
  const split = several ? '<p>Your cart holds goods sent by different parties; each part is checked out as its own order.</p>' : '';
  return `<h1>Your cart</h1>${note}${split}${body}<form id="cart-update" method="post" action="/cart/update"><input type="hidden" name="_csrf" value="${e(csrf)}"><button type="submit">Update quantities</button> <small>(0 removes a line)</small></form>`;
}

export interface CheckoutForm {
  group: string;
  label: string;
  lines: CartLineView[];
  settlements: Settlement[];
  /** The handling fee the order will carry, as its handler said when the page was built. */
  handlingFee: number;
  csrf: string;
  key: string;
  values?: Partial<DeliveryAddress> & { settlement?: string };
  error?: string;
  shopper: { name: string; email: string };
}

export function checkoutHtml(f: CheckoutForm): string {
  const v = f.values ?? {};
  const total = f.lines.reduce((s, l) => s + l.qty * l.product.price, 0) + f.handlingFee;
  const currency = f.lines[0]?.product.currency ?? 'EUR';
  const field = (name: keyof DeliveryAddress, label: string, auto: string, max = 100) =>
    `<p><label>${label}<br><input name="${name}" value="${e(String(v[name] ?? (name === 'name' ? f.shopper.name : '')))}" maxlength="${max}" autocomplete="${auto}"></label></p>`;
  const chosen = v.settlement ?? f.settlements[0];
  const radios = f.settlements
    .map((s) => `<label class="settlement"><input type="radio" name="settlement" value="${s}"${s === chosen ? ' checked' : ''}> <span>${e(SETTLEMENTS[s])}</span></label>`)
    .join('');
  const fee = f.handlingFee ? `<li class="handling-fee">Handling fee — ${money(f.handlingFee, currency)}</li>` : '';
  return `<h1>Check out</h1>${f.error ? `<p class="error" role="alert">${e(f.error)}</p>` : ''}
<p>${e(f.label)} · ordering as ${e(f.shopper.email)}</p>
<ul class="order-lines">${f.lines.map((l) => `<li>${l.qty} × ${e(l.product.name)} — ${money(l.qty * l.product.price, l.product.currency)}</li>`).join('')}${fee}</ul>
<p class="total">Total: <strong>${money(total, currency)}</strong></p>
<form method="post" action="/checkout" class="checkout-form">
<input type="hidden" name="_csrf" value="${e(f.csrf)}"><input type="hidden" name="group" value="${e(f.group)}"><input type="hidden" name="key" value="${e(f.key)}"><input type="hidden" name="total" value="${total}">
<fieldset><legend>Delivery address</legend>
${field('name', 'Name', 'name')}${field('street', 'Street and number', 'street-address', 200)}${field('postcode', 'Postcode', 'postal-code', 20)}${field('city', 'City', 'address-level2')}${field('country', 'Country', 'country-name', 60)}
${f.settlements.includes('pickup') ? '<p><small>Not needed for pickup.</small></p>' : ''}</fieldset>
<fieldset class="settlements"><legend>Payment</legend>${radios}</fieldset>
<p><button type="submit">Place order · ${money(total, currency)}</button></p>
</form>`;
}

export function orderLinesHtml(o: OrderView): string {
  const fee = o.handlingFee ? `<li>Handling fee — ${money(o.handlingFee, o.currency)}</li>` : '';
  return `<ul class="order-lines">${o.lines.map((l) => `<li>${l.qty} × ${e(l.name)} — ${money(l.qty * l.unitPrice, o.currency)}</li>`).join('')}${fee}</ul><p class="total">Total: <strong>${money(o.total, o.currency)}</strong></p>`;
}

export function confirmationHtml(o: OrderView, shopName: string, justPlaced: boolean, rest: { id: string; label: string }[] = []): string {
  const more = rest.length
    ? `<section class="rest"><h2>Still in your cart</h2><p>These goods are handled by someone else, so each part is its own order:</p><ul>${rest
        .map((g) => `<li>${e(g.label)}: <a href="/checkout?group=${encodeURIComponent(g.id)}">check out</a></li>`)
        .join('')}</ul></section>`
    : '';
  return `<h1>${justPlaced ? 'Thank you for your order' : 'Your order'}</h1>
<p class="order-number">Order number <strong>${e(o.number)}</strong> · state <span class="order-state state-${o.state}">${e(o.state)}</span></p>
${orderLinesHtml(o)}
<p>Payment: ${e(SETTLEMENTS[o.settlement])}.</p>
${o.state === 'accepted' ? `<p class="next-step">${e(nextStepText(o.settlement, shopName))}</p>` : ''}
${more}<p><a href="/account">All your orders</a> · <a href="/shop">Continue shopping</a></p>`;
}

/** An order whose answer from the central warehouse was lost: what the shopper is told until it is settled. */
export function confirmingHtml(p: { lines: { name: string; qty: number }[]; total: number; currency: string; since: string }): string {
  return `<h1>We are confirming your order</h1>
<p class="notice" role="status">Your order was sent to the central warehouse, but its answer did not reach us, so we do not know yet whether it was placed. We are asking the warehouse; nothing will be ordered twice.</p>
<ul class="order-lines">${p.lines.map((l) => `<li>${l.qty} × ${e(l.name)}</li>`).join('')}</ul>
<p class="total">Total: <strong>${money(p.total, p.currency)}</strong> · sent ${e(p.since.slice(0, 16).replace('T', ' '))} UTC</p>
<p>Reload this page in a minute to see the outcome. Until then your cart is kept as it was and cannot be changed or checked out, so this order cannot be placed a second time.</p>
<p><a href="/account">Your orders</a></p>`;
}

/** A lost answer settled as "not placed": the truth, and the way back. */
export function notPlacedHtml(): string {
  return `<h1>Your order was not placed</h1>
<p class="notice" role="status">The central warehouse has no order from that checkout, so nothing was ordered or charged. Your cart is unlocked and as you left it.</p>
<p><a class="button" href="/cart">Back to your cart</a></p>`;
}

export function accountOrdersHtml(orders: OrderView[], note?: string, pending: { ref: string }[] = []): AccountSectionHtml {
  const p = pending
    .map((x) => `<p class="notice" role="status">An order is being confirmed with the central warehouse: <a href="/checkout/pending/${encodeURIComponent(x.ref)}">see its state</a>.</p>`)
    .join('');
  const n = (note ? `<p class="notice">${e(note)}</p>` : '') + p;
  // "No orders yet" only when no other section (planned-page purchases) lists an order either (joinAccountSections).
  if (orders.length === 0) return { html: n ? `<h2>Your orders</h2>${n}` : '', orders: 0, ifNoOrders: `${n ? '' : '<h2>Your orders</h2>'}<p>No orders yet on this site.</p>` };
  return `<h2>Your orders</h2>${n}<table class="orders"><thead><tr><th>Order</th><th>Placed</th><th>Total</th><th>State</th></tr></thead><tbody>${orders
    .map(
      (o) =>
        `<tr><td><a href="/orders/${encodeURIComponent(o.number)}">${e(o.number)}</a></td><td>${e(o.createdAt.slice(0, 16).replace('T', ' '))} UTC</td><td>${money(o.total, o.currency)}</td><td class="order-state state-${o.state}">${e(o.state)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}
