import { AppError } from '../../common/errors.js';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { consentRoute, newsAccountHtml, newsTermsSlice } from '../../common/news/index.js';
import { usersModule } from '../users/index.js';
import { partnerNewsErrors } from './errors.js';
import { partnerNewsPages } from './news-pages.js';
import { PartnerNews } from './partner-news.js';

/**
 * News on a partner (docs/news.md): the shopper's news setting on the account
 * page (kept at the main site), the manager's figures for this site's
 * shoppers, and, when the contract grants this site its shoppers' data
 * (news.shopperData), campaigns to them sent through the main site.
 */
export const newsModule = defineModule<PartnerNews>({
  name: 'news',
  errors: [partnerNewsErrors],
  // Declared here too: a partner checks every slice the main site sends with the same definitions.
  terms: newsTermsSlice,
  views: [fromRoot('partner-site/news/views')],
  nav: [{ path: '/news', title: 'News', group: 'Messages' }],
  create: ({ ctx }) => new PartnerNews(ctx),
  consolePages: (router, news) => router.use(partnerNewsPages(news)),
  front: (app, news, host) => {
    app.use(
      consentRoute({
        sessions: host.use(usersModule).sessions,
        view: () => host.view(),
        set: async (userId, optedIn) => {
          await news.consent(userId, optedIn);
        },
      }),
    );
  },
  accountSections: (news) => [
    async ({ userId, csrfToken }) => {
      try {
        return newsAccountHtml((await news.consent(userId)).optedIn, csrfToken);
      } catch (err) {
        // News is sent by the site a shopper registered on, and only it may read or change the setting
        // (main-site/news): one account works everywhere, but this is not that shopper's news site.
        if (err instanceof AppError && err.code === 'shopper_not_found')
          return newsAccountHtml(null, csrfToken, 'You registered on another site of our network: news of new products comes from that site, and you change this setting on its account page.');
        return newsAccountHtml(null, csrfToken);
      }
    },
  ],
});

export { PartnerNews } from './partner-news.js';
