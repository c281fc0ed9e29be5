import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { AppError, publicError } from '../errors.js';
import { formBody } from '../http/bodies.js';
import type { AccountSectionHtml } from '../module.js';
import { formatMoney } from '../money.js';
import type { ContentView } from '../render/content-view.js';
import { escapeHtml } from '../render/page-renderer.js';
import type { CurrentShopper, ShopperSessions } from '../users/index.js';
import { safeEqual } from '../web/tokens.js';
import { inertHeaders } from './contribution.js';
import type { OrderReceipt } from './order.js';
import { CONTRIBUTION_ID_RE, FORMAT_LABELS, PAGE_ID_RE, pageUrl, type Format, type SaleItem } from './page.js';

/** The bill a site shows before an order: the planner is the seller (claim 10). */
export interface Bill {
  page: string;
  pageTitle: string;
  planner: { id: string; name: string };
  item: SaleItem;
  itemTitle: string;
  price: { amount: number; currency: string };
  formats: Format[];
}

export interface Delivered {
  receipt: OrderReceipt;
  fileName: string;
  contentType: string;
  inline: boolean;
  data: Buffer;
}

/** Who processes planned-page orders on this site: the main site itself, or a partner forwarding to it. */
export interface PlannedBackend {
  bill(page: string, item: SaleItem): Promise<Bill> | Bill;
  place(user: string, bill: Bill, idempotencyKey: string): Promise<OrderReceipt>;
  deliver(user: string, order: string, format: Format | 'file', contribution: string | undefined, client: { ip?: string | undefined; ua?: string | undefined }): Promise<Delivered>;
  orders(user: string): Promise<OrderReceipt[]> | OrderReceipt[];
}

const esc = escapeHtml;
const money = (m: { amount: number; currency: string }) => esc(formatMoney(m));

/** A refusal as the shopper reads it: the stable code's message, never internals. */
function refusal(err: unknown): { status: number; message: string } {
  if (err instanceof AppError && err.expose) return { status: err.status, message: err.message };
  const p = publicError(err);
  return { status: p.status, message: p.body.error.message };
}

/**
 * Buying planned pages on any site (claims 7-10), and delivery in the
 * account: /planned-buy/<page>/<item> shows the bill naming the planner as
 * seller and places the order; /account/planned/<order> is the receipt and
 * the HTML view, with PDF and Markdown downloads and attached files, each
 * access logged where the order is delivered from (the main site).
 */
export function plannedBuyRoutes(o: { view: () => ContentView; sessions: ShopperSessions; backend: PlannedBackend }): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '8kb' });
  const page = (res: Response, status: number, title: string, html: string) => res.status(status).set('Cache-Control', 'private, no-store').type('html').send(o.view().wrap(title, html));
  const fail = (res: Response, err: unknown, back?: string) => {
    const f = refusal(err);
    page(res, f.status, 'Not possible', `<h1>Not possible</h1><p class="error">${esc(f.message)}</p>${back ? `<p><a href="${esc(back)}">Back</a></p>` : ''}`);
  };
  const shopper = (req: Request, res: Response): CurrentShopper | undefined => {
    const s = o.sessions.current(req);
    if (!s) res.redirect(303, `/account/login?next=${encodeURIComponent(req.originalUrl)}`);
    return s;
  };
  const itemOf = (raw: string): SaleItem | undefined => (raw === 'page' ? { kind: 'page' } : CONTRIBUTION_ID_RE.test(raw) ? { kind: 'contribution', id: raw } : undefined);

  r.get('/planned-buy/:page/:item', async (req, res) => {
    const pageId = String(req.params.page);
    const item = itemOf(String(req.params.item));
    if (!PAGE_ID_RE.test(pageId) || !item) return page(res, 404, 'Not found', '<h1>Not found</h1><p>There is no such planned page or contribution.</p>');
    const s = shopper(req, res);
    if (!s) return;
    try {
      const b = await o.backend.bill(pageId, item);
      const key = randomBytes(18).toString('base64url');
      page(
        res,
        200,
        'Your order',
        `<h1>Your order</h1><table class="planned-bill"><tbody>` +
          `<tr><th>Seller</th><td data-seller>${esc(b.planner.name)}</td></tr>` +
          `<tr><th>Item</th><td>${esc(b.itemTitle)}${b.item.kind === 'page' ? ' (the whole page)' : ` (from ${esc(b.pageTitle)})`}</td></tr>` +
          `<tr><th>Price</th><td data-price>${money(b.price)}</td></tr>` +
          `<tr><th>Delivered as</th><td>${b.formats.map((f) => esc(FORMAT_LABELS[f])).join(', ')}</td></tr></tbody></table>` +
          `<p>The price is set by ${esc(b.planner.name)}, who sells it through this site; the bill and the receipt are in the planner's name.</p>` +
          `<form method="post" action="${esc(req.originalUrl.split('?')[0]!)}"><input type="hidden" name="_csrf" value="${esc(s.session.csrfToken)}">` +
          `<input type="hidden" name="key" value="${key}"><input type="hidden" name="total" value="${b.price.amount}">` +
          `<button type="submit">Buy for ${money(b.price)}</button></form><p><a href="${esc(pageUrl(b.page))}">Back to the page</a></p>`,
      );
    } catch (err) {
      fail(res, err, pageUrl(pageId));
    }
  });

  r.post('/planned-buy/:page/:item', form, async (req, res) => {
    const pageId = String(req.params.page);
    const item = itemOf(String(req.params.item));
    if (!PAGE_ID_RE.test(pageId) || !item) return page(res, 404, 'Not found', '<h1>Not found</h1><p>There is no such planned page or contribution.</p>');
    const s = o.sessions.current(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!s) return page(res, 401, 'Log in', '<h1>Log in</h1><p>Your session has ended. Log in and buy again.</p>');
    if (typeof body._csrf !== 'string' || !safeEqual(body._csrf, s.session.csrfToken))
      return page(res, 403, 'Form expired', '<h1>Form expired</h1><p>The form expired or was not sent from this site. Nothing was ordered.</p>');
    const key = typeof body.key === 'string' && /^[A-Za-z0-9_-]{16,80}$/.test(body.key) ? body.key : undefined;
    const total = typeof body.total === 'string' && /^\d{1,12}$/.test(body.total) ? Number(body.total) : undefined;
    if (!key || total === undefined) return page(res, 400, 'Not possible', '<h1>Not possible</h1><p>The form is incomplete. Nothing was ordered.</p>');
    try {
      const b = await o.backend.bill(pageId, item);
      // The shopper agreed to the price shown; a different price now is never charged.
      if (b.price.amount !== total)
        return page(
          res,
          409,
          'The price changed',
          `<h1>The price changed</h1><p>The price is now ${money(b.price)}. Nothing was ordered.</p><p><a href="${esc(req.originalUrl)}">See the new bill</a></p>`,
        );
      const receipt = await o.backend.place(s.session.userId, b, key);
      res.redirect(303, `/account/planned/${receipt.id}`);
    } catch (err) {
      fail(res, err, pageUrl(pageId));
    }
  });

  const ORDER = /^po-[0-9a-f]{16}$/;
  const deliver = async (req: Request, res: Response, format: Format | 'file', contribution?: string) => {
    // Every delivery is a use in the planner's and contributors' totals. A HEAD
    // (Express answers it with the GET route) or a browser's prefetch would make
    // the content and log an access nobody read: they get nothing and count nothing.
    if (req.method === 'HEAD') {
      res.status(405).set('Allow', 'GET').set('Cache-Control', 'private, no-store').end();
      return undefined;
    }
    if (/prefetch|prerender/i.test(`${req.get('sec-purpose') ?? ''} ${req.get('purpose') ?? ''} ${req.get('x-moz') ?? ''}`)) {
      // A non-2xx answer makes the browser drop the prefetch and fetch the page for real when the shopper opens it.
      res.status(503).set('Cache-Control', 'private, no-store').end();
      return undefined;
    }
    const s = shopper(req, res);
    if (!s) return undefined;
    const id = String(req.params.order);
    if (!ORDER.test(id)) {
      page(res, 404, 'Not found', '<h1>Not found</h1><p>There is no such order.</p>');
      return undefined;
    }
    try {
      return await o.backend.deliver(s.session.userId, id, format, contribution, { ip: req.ip, ua: req.get('user-agent') });
    } catch (err) {
      fail(res, err, '/account');
      return undefined;
    }
  };

  r.get('/account/planned/:order', async (req, res) => {
    const s = o.sessions.current(req);
    if (!s) return res.redirect(303, `/account/login?next=${encodeURIComponent(req.originalUrl)}`);
    const mine = (await o.backend.orders(s.session.userId)).find((x) => x.id === req.params.order);
    if (!mine) return page(res, 404, 'Not found', '<h1>Not found</h1><p>There is no such order in your account.</p>');
    const receipt =
      `<section class="planned-receipt"><h2>Receipt</h2><table><tbody><tr><th>Order</th><td class="order-number">${esc(mine.id)}</td></tr>` +
      `<tr><th>Seller</th><td data-seller>${esc(mine.seller.name)}</td></tr><tr><th>Item</th><td>${esc(mine.itemTitle)}</td></tr>` +
      `<tr><th>Paid</th><td>${money(mine)}</td></tr><tr><th>Date</th><td><time datetime="${esc(mine.createdAt)}">${esc(mine.createdAt.slice(0, 16).replace('T', ' '))} UTC</time></td></tr>` +
      `<tr><th>State</th><td>${mine.state === 'paid' ? 'paid' : 'refunded'}</td></tr></tbody></table>` +
      `<p>Sold by ${esc(mine.seller.name)}.</p></section>`;
    const downloads = mine.formats
      .filter((f) => f !== 'html')
      .map((f) => `<a class="button" href="/account/planned/${esc(mine.id)}/download.${f === 'pdf' ? 'pdf' : 'md'}">${esc(FORMAT_LABELS[f])}</a>`)
      .join(' ');
    if (mine.state !== 'paid') return page(res, 200, mine.itemTitle, `${receipt}<p>This order was refunded; its content is no longer delivered.</p>`);
    let view = '';
    if (mine.formats.includes('html')) {
      const d = await deliver(req, res, 'html');
      if (!d) return;
      view = d.data.toString('utf8');
    }
    page(res, 200, mine.itemTitle, `${view}${downloads ? `<p class="planned-downloads">${downloads}</p>` : ''}${receipt}`);
  });

  for (const [ext, format] of [
    ['pdf', 'pdf'],
    ['md', 'markdown'],
  ] as const) {
    r.get(`/account/planned/:order/download.${ext}`, async (req, res) => {
      const d = await deliver(req, res, format);
      if (!d) return;
      res
        .set(inertHeaders(d.fileName, d.contentType, false))
        .set('Content-Type', d.contentType)
        .send(d.data);
    });
  }

  r.get('/account/planned/:order/file/:contribution', async (req, res) => {
    const c = String(req.params.contribution);
    if (!CONTRIBUTION_ID_RE.test(c)) return page(res, 404, 'Not found', '<h1>Not found</h1><p>There is no such file.</p>');
    const d = await deliver(req, res, 'file', c);
    if (!d) return;
    res.set(inertHeaders(d.fileName, d.contentType, d.inline)).send(d.data);
  });
  return r;
}

/** The shopper's planned-page purchases on the account page. */
export async function accountPurchasesHtml(orders: OrderReceipt[]): Promise<AccountSectionHtml> {
  if (!orders.length) return '';
  const rows = orders
    .map((x) => `<li><a href="/account/planned/${esc(x.id)}">${esc(x.itemTitle)}</a>, sold by ${esc(x.seller.name)}, ${money(x)}${x.state === 'refunded' ? ' (refunded)' : ''}</li>`)
    .join('');
  return { html: `<section class="planned-purchases"><h2>Planned pages you bought</h2><ul>${rows}</ul></section>`, orders: orders.length };
}
