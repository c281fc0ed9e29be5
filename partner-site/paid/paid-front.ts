import { timeTag } from '../../common/web/format.js';
import { allowInCsp } from '../../common/http/csp.js';
import express, { type Request, type Response } from 'express';
import { escapeHtml } from '../../common/render/page-renderer.js';
import { formatMoney } from '../../common/money.js';
import { logPageView } from '../../common/logchain/page-log.js';
import type { SiteLog } from '../../common/logchain/site-log.js';
import type { ShopperSessions } from '../../common/users/index.js';
import { safeEqual } from '../../common/web/tokens.js';
import { ITEM_ID_RE, type PaidItem } from '../../common/paid/index.js';
import { newIdempotencyKey, shopperMessage, type PartnerPaid } from './partner-paid.js';

const SLOT = '<p>TIEUP-PAID-ACTIONS</p>';

const chargeText = (i: PaidItem) => `${formatMoney(i.charge.price)} ${i.charge.type === 'per_access' ? 'per reading' : `a ${i.charge.period}`}`;

/**
 * The shopper's side of paid content on a partner: each item's free entry page
 * (a tie-up page) with "Read", and "Subscribe" for period items. "Read" asks
 * the main site for a key and sends the shopper to the item there, or shows
 * it inside a frame of this site's page.
 */
export function paidFront(paid: PartnerPaid, sessions: ShopperSessions, log: SiteLog): express.Router {
  const r = express.Router();
  // "Read" posts here and is redirected to the main site, and "Read here" frames the main site's page:
  // the site-wide policy (form-action and frame-src 'self') would block both after the key was charged.
  r.use('/paid', (_req, res, next) => {
    const main = paid.mainBaseUrl();
    if (main) {
      const origin = new URL(main).origin;
      allowInCsp(res, 'form-action', [origin]);
      allowInCsp(res, 'frame-src', [origin]);
    }
    next();
  });
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  const page = (res: Response, status: number, title: string, html: string) =>
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(paid.view().wrap(title, html, { path: '', kind: 'tie-up' }));
  const refusal = (res: Response, err: unknown, item: string) => {
    const m = shopperMessage(err);
    if (!m) throw err;
    page(
      res,
      m.status,
      m.title,
      `<h1>${escapeHtml(m.title)}</h1><p class="error" role="alert" data-code="${escapeHtml(m.code)}">${m.html}</p><p><a href="/paid/${escapeHtml(item)}">Back to the item</a></p>`,
    );
  };

  r.get('/paid', (req, res) => {
    const rows = [...paid.items().values()].map(({ item }) => `<li><a href="/paid/${item.id}">${escapeHtml(item.title)}</a> · ${escapeHtml(chargeText(item))}</li>`);
    page(res, 200, 'Paid content', `<h1>Paid content</h1>${rows.length ? `<ul class="paid-items">${rows.join('')}</ul>` : '<p>Nothing on offer yet.</p>'}`);
  });

  r.get('/paid/:item', (req, res, next) => {
    const id = req.params.item;
    if (!ITEM_ID_RE.test(id) || !paid.items().has(id)) return next();
    const { item, entry } = paid.item(id);
    const view = paid.view();
    const source = `${entry ?? `---\ntitle: ${item.title}\n---\n# ${item.title}\n`}\n\n${SLOT.slice(3, -4)}\n`;
    const html = view.built(`paid-entry:${id}`, () => view.renderSource(`/paid/${id}`, `paid/${id}/entry.md`, source));
    const shopper = sessions.current(req);
    let actions: string;
    if (!shopper) {
      actions = `<p class="paid-charge">${escapeHtml(chargeText(item))}</p><p><a class="button" href="/account/login?next=${encodeURIComponent(`/paid/${id}`)}">Log in to read</a></p>`;
    } else {
      const csrf = escapeHtml(shopper.session.csrfToken);
      const sub = item.charge.type === 'per_period' ? paid.currentSubscription(shopper.session.userId, id) : undefined;
      const readForm = (label: string, mode: string) =>
        `<form method="post" action="/paid/${id}/read" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="key" value="${newIdempotencyKey()}"><input type="hidden" name="mode" value="${mode}"><button type="submit">${label}</button></form>`;
      const subForm = (what: 'subscribe' | 'unsubscribe', label: string) =>
        `<form method="post" action="/paid/${id}/${what}" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">${label}</button></form>`;
      if (item.charge.type === 'per_access') {
        actions = `<p class="paid-charge">${escapeHtml(chargeText(item))}: each "Read" is charged once to your bill here.</p>${readForm('Read', 'go')} ${readForm('Read here', 'frame')}`;
      } else if (sub) {
        // A shopper reads a time, not an ISO instant (the UTC instant stays in the title).
        const until = `${sub.cancelledAt ? 'ends' : 'paid until'} ${timeTag(sub.periodEnd)}`;
        actions = `<p class="paid-charge">Subscribed (${until}).</p>${readForm('Read', 'go')} ${readForm('Read here', 'frame')}${sub.cancelledAt ? '' : ` ${subForm('unsubscribe', 'Unsubscribe')}`}`;
      } else {
        actions = `<p class="paid-charge">${escapeHtml(chargeText(item))}, on your bill here.</p>${subForm('subscribe', 'Subscribe')}`;
      }
    }
    const out = html.replace(SLOT, `<div class="paid-actions" data-item="${id}">${actions}</div>`);
    res.status(200).set('Cache-Control', 'no-store').type('html').send(out);
    logPageView(log, req, res, 'tie-up', Buffer.byteLength(out), view.release?.number ?? null, shopper ? { user: shopper.session.userId, session: shopper.logId } : undefined);
  });

  const signedIn = (req: Request, res: Response, id: string) => {
    const shopper = sessions.current(req);
    if (!shopper) {
      res.redirect(303, `/account/login?next=${encodeURIComponent(`/paid/${id}`)}`);
      return undefined;
    }
    const field = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof field !== 'string' || !safeEqual(field, shopper.session.csrfToken)) {
      page(res, 403, 'Form expired', `<h1>Form expired</h1><p>Please <a href="/paid/${escapeHtml(id)}">open the item again</a>.</p>`);
      return undefined;
    }
    return shopper;
  };

  r.post('/paid/:item/read', form, async (req, res) => {
    const id = req.params.item;
    if (!ITEM_ID_RE.test(id)) return page(res, 404, 'Not found', '<h1>Not found</h1>');
    const shopper = signedIn(req, res, id);
    if (!shopper) return;
    const body = req.body as Record<string, unknown>;
    // The form's own idempotency key: a double click or a resent form asks for (and is charged for) one key.
    const key = typeof body.key === 'string' && /^[A-Za-z0-9_-]{16,80}$/.test(body.key) ? body.key : newIdempotencyKey();
    try {
      const a = await paid.requestKey(shopper.session.userId, id, req.ip ?? '', key, req.get('user-agent'), shopper.session);
      const url = `${paid.mainBaseUrl()}${a.path}`;
      if (body.mode === 'frame') {
        page(
          res,
          200,
          paid.item(id).item.title,
          `<iframe class="paid-frame" src="${escapeHtml(url)}" title="${escapeHtml(paid.item(id).item.title)}" style="width:100%;height:80vh;border:0"></iframe>`,
        );
      } else {
        res.redirect(303, url);
      }
    } catch (err) {
      refusal(res, err, id);
    }
  });

  r.post('/paid/:item/subscribe', form, async (req, res) => {
    const id = req.params.item;
    if (!ITEM_ID_RE.test(id)) return page(res, 404, 'Not found', '<h1>Not found</h1>');
    const shopper = signedIn(req, res, id);
    if (!shopper) return;
    try {
      await paid.subscribe(shopper.session.userId, id, req.ip ?? '', req.get('user-agent'), shopper.session);
      res.redirect(303, `/paid/${id}`);
    } catch (err) {
      refusal(res, err, id);
    }
  });

  r.post('/paid/:item/unsubscribe', form, async (req, res) => {
    const id = req.params.item;
    if (!ITEM_ID_RE.test(id)) return page(res, 404, 'Not found', '<h1>Not found</h1>');
    const shopper = signedIn(req, res, id);
    if (!shopper) return;
    try {
      await paid.unsubscribe(shopper.session.userId, id);
      res.redirect(303, `/paid/${id}`);
    } catch (err) {
      refusal(res, err, id);
    }
  });
  return r;
}
