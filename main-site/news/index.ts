import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { consentRoute, newsAccountHtml, newsTermsSlice } from '../../common/news/index.js';
import { NEWS_CONSENT, NEWS_PREVIEW, NEWS_REPORT, NEWS_SEND } from '../../common/protocol/index.js';
import { s2sEndpoint } from '../../common/s2s/middleware.js';
import { logsModule } from '../logs/index.js';
import { noticesModule } from '../notices/index.js';
import { usersModule } from '../users/index.js';
import { newsErrors } from './errors.js';
import { newsFront } from './news-front.js';
import { newsPages } from './news-pages.js';
import { NewsService } from './news-service.js';
import { NewsStore } from './news-store.js';

/**
 * News: direct marketing on the partners' behalf (docs/news.md). Shoppers opt
 * in at registration or on their account page; the operator sends a
 * new-product notice to an audience (site registered on, page viewed) through
 * the notice outbox; every site sees how its shoppers responded; a partner
 * granted its shoppers' data (news.shopperData) sends to its own shoppers.
 */
export const newsModule = defineModule<NewsService>({
  name: 'news',
  errors: [newsErrors],
  terms: newsTermsSlice,
  migrations: [{ namespace: 'news', dir: fromRoot('main-site/news/migrations') }],
  views: [fromRoot('main-site/news/views')],
  nav: [{ path: '/news', title: 'News', group: 'Messages' }],
  create: ({ ctx, use }) => new NewsService(ctx, new NewsStore(ctx.db), use(usersModule).service, use(noticesModule), use(logsModule)),
  s2s: (router, news, deps) => {
    // The partner is always the authenticated caller: it reads and changes consent, sees figures and sends only for its own shoppers.
    s2sEndpoint(router, deps, NEWS_CONSENT, (s2s, body) => {
      if (news.registeredSite(body.userId) !== s2s.peer.id) throw newsErrors.shopper_not_found(`${body.userId} is not a shopper of ${s2s.peer.id}`);
      if (body.set !== undefined) news.setConsent(body.userId, body.set);
      return { body: { optedIn: news.optedIn(body.userId) } };
    });
    s2sEndpoint(router, deps, NEWS_PREVIEW, (s2s, body) => {
      if (!news.granted(s2s.peer.id)) throw newsErrors.news_not_granted(`the contract of ${s2s.peer.id} does not grant it its shoppers' data for news (news.shopperData)`);
      return { body: { count: news.audience({ site: s2s.peer.id, viewed: body.viewed }).length } };
    });
    s2sEndpoint(router, deps, NEWS_SEND, (s2s, body) => {
      const { key, subject, text, link, audience } = body;
      const r = news.send(s2s.peer.id, { key, subject, text, link, audience: { site: s2s.peer.id, viewed: audience.viewed } }, `${s2s.peer.id} (partner)`);
      return { status: r.created ? 201 : 200, body: { campaign: r.campaign.id, recipients: r.recipients, created: r.created } };
    });
    s2sEndpoint(router, deps, NEWS_REPORT, (s2s) => ({ body: news.report(s2s.peer.id) }));
  },
  consolePages: (router, news) => router.use(newsPages(news)),
  front: (app, news, host) => {
    app.use(newsFront(news, () => host.view()));
    app.use(consentRoute({ sessions: host.use(usersModule).sessions, view: () => host.view(), set: (userId, optedIn) => news.setConsent(userId, optedIn) }));
  },
  accountSections: (news) => [({ userId, csrfToken }) => newsAccountHtml(news.optedIn(userId), csrfToken)],
});

export { NewsService } from './news-service.js';
