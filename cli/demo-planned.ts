import { loadNetworkConfig } from './network-config.js';
import { startMainSite } from '../main-site/server.js';
import { PartyStore } from '../main-site/portal/index.js';
import { hashPassword } from '../common/web/password.js';

/**
 * The demo's planned pages (issue 16): one planner, Ridge Walks, with an open
 * page and two contributors: stages one (Alice) and two (Bob) accepted, Alice's
 * stage three waiting in its moderation queue. The whole page (6.00) costs less
 * than its three stages bought one by one (3 x 2.50). Made once, through the planned service itself (the
 * main site runs in this process for a moment, on the demo's own database and
 * content folder), so the page is in the release partners receive.
 */
export const DEMO_PLANNED = {
  password: 'tieup-demo-planner',
  planner: { email: 'planner@demo.test', displayName: 'Ridge Walks', slug: 'ridge-walks' },
  contributors: [
    { email: 'alice@demo.test', displayName: 'Alice Walker' },
    { email: 'bob@demo.test', displayName: 'Bob Climber' },
  ],
  terms: {
    currency: 'EUR',
    plannerShareBps: 4000,
    contributorPay: { basis: 'contribution_sales', bps: 3000 },
    partnerHandlingBps: 1000,
    mainShare: { type: 'remainder' },
    holdingDays: 7,
    payoutMinimum: 1000,
    statementCycle: 'monthly',
  },
};

export interface DemoPlanned {
  pageId: string;
  plannerId: string;
}

export async function prepareDemoPlanned(o: { mainUrl: string; dataDir: string; keysDir: string; contentDir: string; templatesDir: string }): Promise<DemoPlanned> {
  const config = loadNetworkConfig(
    'main',
    {},
    {
      siteId: 'main',
      port: 0,
      host: '127.0.0.1',
      publicUrl: o.mainUrl,
      dataDir: o.dataDir,
      keysDir: o.keysDir,
      contentDir: o.contentDir,
      templatesDir: o.templatesDir,
      logLevel: 'silent',
      smtpHost: '',
    },
  );
  const main = await startMainSite(config, { watchContent: false, defaultMetrics: false });
  try {
    const { planned, portal } = main;
    const existing = planned.planners().find((p) => p.slug === DEMO_PLANNED.planner.slug);
    if (existing) return { plannerId: existing.partyId, pageId: planned.pagesOf(existing.partyId)[0]?.id ?? '' };
    const parties = new PartyStore(main.ctx.db);
    const hash = await hashPassword(DEMO_PLANNED.password);
    const now = new Date().toISOString();
    const app = planned.apply({ ...DEMO_PLANNED.planner, pitch: 'Walkers describe the Ridge Trail stage by stage, with their pictures.' });
    const { planner } = planned.approve(app.id, { terms: DEMO_PLANNED.terms, carriedBy: 'all' }, 'demo');
    parties.activate(planner.partyId, hash, now);
    const page = planned.createPage(planner.partyId, {
      layout: 'cards',
      title: 'The Ridge, stage by stage',
      description: 'Walkers who did the Ridge Trail describe each stage: the ground, the water, where to sleep. Read the teasers for free; buy a stage or the whole page.',
      sections: [
        { id: 'stages', heading: 'Stages', intro: 'One stage per contribution.' },
        { id: 'pictures', heading: 'Pictures', intro: 'Photos from the trail.' },
      ],
      currency: 'EUR',
      contributionPrice: 250,
      pagePrice: 600,
      formats: ['html', 'pdf', 'markdown'],
    });
    planned.openPage(planner.partyId, page.id);
    const texts = [
      {
        title: 'Stage one: the saddle',
        teaser: 'Two hours of easy ground from the hut.',
        body: 'Start at the Fernhill hut before seven. Keep left at the first cairn; the path climbs gently to the saddle.\n\nWater: the spring below the saddle runs all summer.',
      },
      {
        title: 'Stage two: the crest',
        teaser: 'Exposed, short, with chains.',
        body: 'The crest is the only exposed part of the trail. Chains are fixed on the two steep steps; go one at a time.\n\nIn wind, take the lower path on the east side.',
      },
      {
        title: 'Stage three: down to the lake',
        teaser: 'A long descent; save your knees.',
        body: 'From the crest the path zigzags down to the lake in about three hours. The lake hut serves dinner from six.',
      },
    ];
    const contributors: string[] = [];
    for (const c of DEMO_PLANNED.contributors) {
      const party = portal.invite({ ...c, kind: 'contributor' }, planner.partyId).party;
      parties.activate(party.id, hash, now);
      planned.acceptTerms(party.id, page.id);
      contributors.push(party.id);
    }
    // Sent in stage order (Alice one and three, Bob two): within a section the page lists contributions as they were sent.
    const ids = texts.map((t, j) => planned.contribute(contributors[j % 2]!, page.id, { section: 'stages', kind: 'text', ...t }, null).id);
    // Stages one (Alice) and two (Bob) accepted; Alice's stage three waits in the planner's moderation queue.
    for (const id of ids.slice(0, 2)) planned.decide(planner.partyId, id, 'accept', '');
    return { plannerId: planner.partyId, pageId: page.id };
  } finally {
    await main.close();
  }
}

/** The demo banner's lines for planned pages. */
export function plannedBannerLines(mainUrl: string, southUrl: string, d: DemoPlanned): string[] {
  return [
    `Planned pages: ${mainUrl}/planners (directory), ${mainUrl}/planned/${d.pageId} (the page; also on north and south after the next push);`,
    `  portal ${mainUrl}/portal  planner ${DEMO_PLANNED.planner.email}, contributors ${DEMO_PLANNED.contributors.map((c) => c.email).join(', ')}, password ${DEMO_PLANNED.password}`,
    `  apply as a planner at ${mainUrl}/planned-apply (approve at ${mainUrl}/admin/planned); buy on south at ${southUrl}/planned/${d.pageId}.`,
  ];
}
