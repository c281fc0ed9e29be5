import { createHash } from 'node:crypto';
import express from 'express';
import { DAMAGED_STATUS } from '../../common/render/content-view.js';
import { logPageView } from '../../common/logchain/page-log.js';
import type { SiteLog } from '../../common/logchain/site-log.js';
import type { ShopperSessions } from '../../common/users/index.js';
import { bannerBlock, rankingsBlock, withBlocks } from '../../common/paid/index.js';
import type { PartnerPaid } from './partner-paid.js';
import type { PartnerRankings } from './ranking-client.js';

/**
 * The rankings and the banner on a partner, rendered here from the copy
 * fetched from the main site, in this site's own layout and stylesheet, each
 * line linking to this site's own entry page for the item: the home page gets
 * the banner of the current slot and the rankings, /paid/rankings is the
 * rankings as a tie-up page. Items this site does not show are left out.
 */
export function rankingFront(paid: PartnerPaid, rankings: PartnerRankings, log: SiteLog, sessions: ShopperSessions): express.Router {
  const r = express.Router();
  const title = (id: string) => paid.items().get(id)?.item.title;
  const href = (id: string) => `/paid/${id}`;
  const who = (req: express.Request) => {
    const s = sessions.current(req);
    return s ? { user: s.session.userId, session: s.logId } : undefined;
  };
  const rankingHtml = () => {
    const c = rankings.current();
    return c ? rankingsBlock(c, title, href) : '';
  };

  r.get('/paid/rankings', (req, res) => {
    const v = paid.view();
    const html = rankingHtml() || '<section class="paid-rankings"><h2>Most read</h2><p>Nothing has been read yet.</p></section>';
    const out = v.wrap('Most read', html, { path: '/paid/rankings', kind: 'tie-up' });
    res.status(200).set('Cache-Control', 'no-cache').type('html').send(out);
    logPageView(log, req, res, 'tie-up', Buffer.byteLength(out), v.release?.number ?? null, who(req));
  });

  r.get('/', (req, res, next) => {
    const v = paid.view();
    const page = v.hasPage('/') ? v.page('/') : undefined;
    if (!page || page.status === DAMAGED_STATUS) return next();
    const b = rankings.bannerAt(new Date());
    const bannerTitle = b ? title(b.item) : undefined;
    const blocks = (b && bannerTitle ? bannerBlock(b.item, bannerTitle, href(b.item)) : '') + rankingHtml();
    // Nothing to add: the home page as the page router serves it (shared, same ETag).
    if (!blocks) return next();
    res.set('ETag', `"${createHash('sha256').update(page.etag).update(blocks).digest('base64url').slice(0, 27)}"`).set('Cache-Control', 'no-cache');
    let bytes = 0;
    if (req.fresh) res.status(304).end();
    else {
      const out = withBlocks(page.html, blocks);
      res.type('html').send(out);
      bytes = Buffer.byteLength(out);
    }
    logPageView(log, req, res, page.kind, bytes, v.release?.number ?? null, who(req));
  });
  return r;
}
