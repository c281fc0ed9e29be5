import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { noticesModule } from '../notices/index.js';
import { portalConfig } from './config.js';
import { portalErrors } from './errors.js';
import { partiesApi, partiesPages } from './parties-pages.js';
import { PartyStore } from './party-store.js';
import { portalFront } from './portal-front.js';
import { PortalService } from './portal-service.js';
import cron from 'node-cron';

/**
 * The party portal at /portal: outside parties (content suppliers,
 * advertisers, planners, contributors, component suppliers) invited by the
 * operator from /admin/parties, each seeing only its own inbox and the
 * sections other capabilities add for its kind (`portal.addSection`).
 */
export const portalModule = defineModule<PortalService>({
  name: 'portal',
  config: portalConfig,
  errors: [portalErrors],
  migrations: [{ namespace: 'portal', dir: fromRoot('main-site/portal/migrations') }],
  views: [fromRoot('main-site/portal/views')],
  nav: [{ path: '/parties', title: 'Parties', group: 'Messages' }],
  create: ({ ctx, use }) => new PortalService(ctx, new PartyStore(ctx.db), use(noticesModule)),
  consoleApi: (router, portal) => router.use(partiesApi(portal)),
  consolePages: (router, portal, { use }) => router.use(partiesPages(portal, use(noticesModule))),
  front: (app, portal, { ctx, use }) => {
    app.use('/portal', portalFront(ctx, portal, use(noticesModule)));
  },
  // Every 10 minutes: portal sessions past their expiry.
  jobs: (portal, { ctx }) => [cron.schedule('0 */10 * * * *', () => void portal.housekeeping(), { name: `${ctx.config.siteId}-portal-sessions`, noOverlap: true })],
});

export { PortalService, PARTY_KIND_LABELS, type PortalSection, type SectionTools } from './portal-service.js';
export { partyOf, portalNav } from './portal-front.js';
export { PARTY_KINDS, PartyStore, type Party, type PartyKind, type PartyStatus } from './party-store.js';
