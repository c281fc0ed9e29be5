import type { AdDefinition } from './definition.js';
import express from 'express';
import { DAMAGED_STATUS, type ContentView, type ServedPage } from '../render/content-view.js';
import { escapeHtml } from '../render/page-renderer.js';
import { logPageView } from '../logchain/page-log.js';
import type { SiteLog } from '../logchain/site-log.js';
import type { ShopperSessions } from '../users/index.js';
import { adBlock } from './ad-block.js';
import { pageWords } from './choose.js';
import type { ClickClaims } from './click-token.js';
import type { AdHolder } from './holder.js';

/** What a site does when a signed-in shopper opens an ad's details: credit the points (at the main site, which keeps them). */
export type CreditView = (claims: ClickClaims, user: string) => Promise<{ credited: boolean; points: number; balance: number }>;

/** Where the slot goes: at the top of the page's main content (after `<main ...>`, else after `<body ...>`). */
function slotAt(html: string): number {
  const m = /<main\b[^>]*>/i.exec(html) ?? /<body\b[^>]*>/i.exec(html);
  return m ? m.index + m[0].length : 0;
}

/** A page's HTML encoded once, split where the slot goes: each delivery only encodes its slot. */
interface SplitPage {
  head: Buffer;
  tail: Buffer;
}

function splitPage(html: string): SplitPage {
  const at = slotAt(html);
  return { head: Buffer.from(html.slice(0, at)), tail: Buffer.from(html.slice(at)) };
}

/**
 * The shopper-facing side of ads on any site: every page of the current view
 * gets an ad slot when an ad is eligible (the page is then not cached: each
 * answer is one delivery), and /ads/open/<token> shows an ad's details and
 * credits its viewing points to a signed-in shopper, once.
 */
export function adFront(o: { holder: AdHolder; view: () => ContentView; log: SiteLog; sessions: ShopperSessions; credit: CreditView }): express.Router {
  const r = express.Router();
  const words = new WeakMap<ServedPage, Set<string>>();
  const splits = new WeakMap<ServedPage, SplitPage>();

  r.get('/ads/open/:token', async (req, res) => {
    const v = o.view();
    const s = o.sessions.current(req);
    const page = (status: number, title: string, body: string) => {
      res
        .status(status)
        .set('Cache-Control', 'no-store')
        .type('html')
        .send(v.wrap(title, `<section class="ad-details">${body}</section>`));
    };
    const opened = o.holder.openClick(String(req.params.token), s !== undefined);
    const details = (ad: AdDefinition | undefined) =>
      ad
        ? `<h1>${escapeHtml(ad.title)}</h1>${ad.text ? `<p class="ad-text">${escapeHtml(ad.text)}</p>` : ''}${ad.url ? `<p><a rel="nofollow noopener" href="${escapeHtml(ad.url)}">More from the advertiser</a></p>` : ''}`
        : '<h1>Ad</h1><p>This ad has ended.</p>';
    if (!opened.ok) {
      // Back and forward reopen a used link: show the details again, and say the points were counted the first time.
      if (opened.reason === 'used')
        return page(410, opened.ad?.title ?? 'Ad', `${details(opened.ad)}<p class="ad-points-note" data-used="true">You opened this link before; its points were counted then.</p>`);
      return page(404, 'Ad', '<h1>No such ad link</h1><p>The link is not valid or has expired.</p>');
    }
    const ad = opened.ad;
    const head = details(ad);
    if (!s) return page(200, ad?.title ?? 'Ad', `${head}<p class="ad-points-note">Log in and open an ad's details to earn its viewing points.</p>`);
    try {
      const c = await o.credit(opened.claims, s.session.userId);
      const note = c.credited ? `You earned <strong data-points="${c.points}">${c.points}</strong> points.` : 'You already earned this ad’s points for this period.';
      page(200, ad?.title ?? 'Ad', `${head}<p class="ad-points-note" data-credited="${c.credited}">${note} Your balance: <strong data-balance="${c.balance}">${c.balance}</strong> points.</p>`);
    } catch {
      page(503, 'Ad', `${head}<p class="ad-points-note">Your points could not be recorded just now.</p>`);
    }
  });

  r.get(/.*/, async (req, res, next) => {
    const v = o.view();
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    // A HEAD shows nothing: it must not take a delivery.
    if (req.method !== 'GET' || !v.hasPage(path) || !req.accepts('html')) return next();
    const p = v.page(path);
    if (!p || p.status === DAMAGED_STATUS) return next();
    let w = words.get(p);
    if (!w) words.set(p, (w = pageWords(p.html)));
    const s = o.sessions.current(req);
    let served;
    try {
      served = await o.holder.serve({ site: o.holder.site, path, words: w }, s ? `u:${s.session.userId}` : `a:${req.ip ?? ''}`, {
        user: s?.session.userId ?? null,
        session: s?.logId ?? null,
        client: req.ip,
        ua: req.get('user-agent'),
      });
    } catch {
      served = undefined;
    }
    // No ad: the page as the page router serves it (shared, cacheable by ETag).
    if (!served) return next();
    let split = splits.get(p);
    if (!split) splits.set(p, (split = splitPage(p.html)));
    const body = Buffer.concat([split.head, Buffer.from(adBlock(served.ad, served.token === null ? null : `/ads/open/${served.token}`)), split.tail]);
    // Written as bytes, not through res.send: a no-store answer needs no ETag (res.send would hash every body for one).
    res.status(200).set({ 'Cache-Control': 'no-store', 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) });
    res.end(body);
    logPageView(o.log, req, res, p.kind, body.length, v.release?.number ?? null, s ? { user: s.session.userId, session: s.logId } : undefined);
  });
  return r;
}
