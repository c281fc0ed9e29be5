import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { accountPurchasesHtml, plannedBuyRoutes, plannedPageFastPath } from '../../common/planned/index.js';
import { usersModule } from '../users/index.js';
import { partnerPlannedErrors } from './errors.js';
import { PartnerPlanned, PartnerPlannedStore } from './partner-planned.js';

/**
 * Planned pages on a partner (seed 000, claims 7-10): the pages come as
 * tie-up pages in releases where the planner's contract lets this partner
 * carry them; shoppers buy here, orders go to the main site in the common
 * format, and what was bought is delivered from the main site.
 */
export const plannedModule = defineModule<PartnerPlanned>({
  name: 'planned',
  errors: [partnerPlannedErrors],
  migrations: [{ namespace: 'planned', dir: fromRoot('partner-site/planned/migrations') }],
  create: (host) => new PartnerPlanned(host.ctx, new PartnerPlannedStore(host.ctx.db), () => host.view()),
  front: (app, planned, host) => {
    const sessions = host.use(usersModule).sessions;
    // The main site leaves pages this partner may not carry out of its releases (main-site/planned/carriage.ts); this check
    // covers a release held from before, whose sale data does not name this partner.
    app.get(/^\/planned\/(pp-[0-9a-f]{12})\/?$/, (req, res, next) => {
      const page = /pp-[0-9a-f]{12}/.exec(req.path)![0];
      if (planned.carries(page)) return next();
      res.status(404).set('Cache-Control', 'no-cache').type('html').send(host.view().message('Not carried here', 'This planned page is not offered on this site. It is on the main site.'));
    });
    app.use(plannedBuyRoutes({ view: () => host.view(), sessions, backend: planned }));
    return plannedPageFastPath({ ctx: host.ctx, view: () => host.view(), sessionCookieName: sessions.cookieName, carries: (page) => planned.carries(page) });
  },
  accountSections: (planned) => [({ userId }) => accountPurchasesHtml(planned.orders(userId))],
});

export type { PartnerPlanned } from './partner-planned.js';
