import { createHash } from 'node:crypto';
import express from 'express';
import { PAID_RANKINGS } from '../../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../../common/s2s/middleware.js';
import { DAMAGED_STATUS, type ContentView } from '../../../common/render/content-view.js';
import { logPageView } from '../../../common/logchain/page-log.js';
import type { SiteLog } from '../../../common/logchain/site-log.js';
import type { ShopperSessions } from '../../../common/users/index.js';
import { formatMoney } from '../../../common/money.js';
import { expectNoOptions } from '../../../common/http/bodies.js';
import { rankingsBlock, withBlocks } from '../../../common/paid/index.js';
import { slotLabel, type PaidRankings } from './rankings.js';

/** Partners fetch their rankings and banners here (GET, over the authenticated channel). */
export function mountRankingsEndpoint(router: express.Router, rankings: PaidRankings, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, PAID_RANKINGS, (s2s) => ({ body: rankings.forPartner(s2s.peer.id) }));
}

/**
 * The block on the main site: /paid/rankings as a tie-up page, and on the
 * home page when anything was read. The main site sells nothing itself, so
 * the lines name the items without links.
 */
export function rankingsFront(rankings: PaidRankings, view: () => ContentView, log: SiteLog, sessions: ShopperSessions): express.Router {
  const r = express.Router();
  const block = (_v: ContentView) => {
    const snap = rankings.snapshot();
    return rankingsBlock(
      snap,
      (id) => snap.items.get(id)?.item.title,
      () => undefined,
    );
  };
  const who = (req: express.Request) => {
    const s = sessions.current(req);
    return s ? { user: s.session.userId, session: s.logId } : undefined;
  };
  r.get('/paid/rankings', (req, res) => {
    const v = view();
    const html = block(v) || '<section class="paid-rankings"><h2>Most read</h2><p>Nothing has been read yet.</p></section>';
    const out = v.wrap('Most read', html, { path: '/paid/rankings', kind: 'tie-up' });
    res.status(200).set('Cache-Control', 'no-cache').type('html').send(out);
    logPageView(log, req, res, 'tie-up', Buffer.byteLength(out), v.release?.number ?? null, who(req));
  });
  r.get('/', (req, res, next) => {
    const v = view();
    const page = v.hasPage('/') ? v.page('/') : undefined;
    if (!page || page.status === DAMAGED_STATUS) return next();
    const b = block(v);
    if (!b) return next();
    // The page's own ETag changes with the release; the block's with each refresh.
    res.set('ETag', `"${createHash('sha256').update(page.etag).update(b).digest('base64url').slice(0, 27)}"`).set('Cache-Control', 'no-cache');
    let bytes = 0;
    if (req.fresh) res.status(304).end();
    else {
      const out = withBlocks(page.html, b);
      res.type('html').send(out);
      bytes = Buffer.byteLength(out);
    }
    logPageView(log, req, res, page.kind, bytes, v.release?.number ?? null, who(req));
  });
  return r;
}

function report(rankings: PaidRankings, partners: string[]) {
  const snap = rankings.snapshot();
  return {
    generatedAt: snap.generatedAt,
    windowDays: snap.windowDays,
    slotMinutes: snap.slotMinutes,
    lookbackDays: snap.lookbackDays,
    overall: snap.overall,
    categories: snap.categories,
    flags: snap.flags,
    banners: partners.map((partner) => ({ partner, slots: rankings.banners(partner).map((b) => ({ ...b, label: slotLabel(b.weekday, b.start, snap.slotMinutes) })) })),
  };
}

/** /admin/api/paid/rankings: rankings, banners per partner and slot with their numbers, replacement flags; POST .../refresh computes them now. */
export function rankingsApi(rankings: PaidRankings, partners: () => string[]): express.Router {
  const r = express.Router();
  r.get('/paid/rankings', (_req, res) => {
    res.json(report(rankings, partners()));
  });
  r.post('/paid/rankings/refresh', (req, res) => {
    expectNoOptions(req.body);
    rankings.refresh();
    res.json(report(rankings, partners()));
  });
  return r;
}

/** /admin/paid/rankings: the same, as a page for the operator. */
export function rankingsPages(rankings: PaidRankings, partners: () => string[]): express.Router {
  const r = express.Router();
  r.get('/paid/rankings', (_req, res) => {
    const rep = report(rankings, partners());
    const snap = rankings.snapshot();
    res.render('main-paid-rankings', {
      title: 'Rankings and banners',
      ...rep,
      titleOf: (id: string) => snap.items.get(id)?.item.title ?? id,
      money: (a: number, id: string) => formatMoney({ amount: a, currency: snap.items.get(id)?.item.charge.price.currency ?? 'EUR' }),
      low: rankings.rule().low,
      fallingPercent: rankings.rule().fallingPercent,
    });
  });
  return r;
}
