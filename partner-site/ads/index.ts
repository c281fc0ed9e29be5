import express from 'express';
import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { adEntry, adFront, adsHolderConfig, AdHolder, HeldStore, heldMigrations, holderOptions, pointsAccountHtml, POINTS_UNAVAILABLE_HTML } from '../../common/ads/index.js';
import { ADS_EXCHANGE, ADS_POINTS, ADS_VIEW } from '../../common/protocol/index.js';
import type { SiteContext } from '../../common/site/context.js';
import { usersModule } from '../users/index.js';
import { OwnAdFiles } from './own-ads.js';

/** The partner's holder, and its own ads' files (docs/ads.md, "A partner's own ads"). */
export type PartnerAds = AdHolder & { ownFiles: OwnAdFiles; pointsHtml: (user: string) => Promise<string> };

const mainOf = (ctx: SiteContext): string => {
  const m = ctx.peers.list().find((p) => p.role === 'main');
  if (!m) throw new Error('no main site is enrolled');
  return m.id;
};

/**
 * Advertisements on a partner (docs/ads.md): the ads and quota leases the main
 * site grants this site, served from the lease with no round trip, consumption
 * recorded before each delivery and reported; details pages that credit
 * viewing points at the main site. The site's own ads, from files in its
 * original-pages folder, fill a slot no main-site ad is chosen for.
 */
export const adsModule = defineModule<PartnerAds>({
  name: 'ads',
  config: adsHolderConfig,
  logEntryTypes: [adEntry],
  migrations: heldMigrations,
  views: [fromRoot('partner-site/ads/views')],
  nav: [{ path: '/ads', title: 'Ads', group: 'Content' }],
  create: ({ ctx }) => {
    const holder = new AdHolder(
      ctx.config.siteId,
      new HeldStore(ctx.db),
      ctx.log,
      ctx.logger,
      { exchange: async (req) => (await ctx.client.send(mainOf(ctx), ADS_EXCHANGE, req, undefined, { timeoutMs: 5000 })).body },
      holderOptions(ctx.config),
    );
    const ownFiles = new OwnAdFiles(ctx.config.originalDir, holder, ctx.logger);
    ownFiles.refresh();
    // Points are earned on any site and kept at the main site: the account page asks it, briefly.
    const pointsHtml = async (user: string) => {
      try {
        return pointsAccountHtml((await ctx.client.send(mainOf(ctx), ADS_POINTS, { user }, undefined, { timeoutMs: 3000 })).body);
      } catch {
        return POINTS_UNAVAILABLE_HTML;
      }
    };
    return Object.assign(holder, { ownFiles, pointsHtml });
  },
  consoleApi: (router, holder) => {
    router.get('/ads', (_req, res) => {
      holder.ownFiles.refresh();
      res.json({ ...holder.status(), ownProblems: holder.ownFiles.problems() });
    });
  },
  consolePages: (router, holder) => {
    const r = express.Router();
    r.get('/ads', (_req, res) => {
      holder.ownFiles.refresh();
      res.render('partner-ads', { title: 'Ads', ...holder.status(), ownProblems: holder.ownFiles.problems() });
    });
    router.use(r);
  },
  front: (app, holder, host) => {
    const ctx = host.ctx;
    app.use(
      adFront({
        holder,
        view: () => host.view(),
        log: ctx.log,
        sessions: host.use(usersModule).sessions,
        credit: async (c, user) => (await ctx.client.send(mainOf(ctx), ADS_VIEW, { ad: c.a, lease: c.l, seq: c.s, user }, undefined, { timeoutMs: 5000 })).body,
      }),
    );
  },
  accountSections: (holder) => [({ userId }) => holder.pointsHtml(userId)],
  start: (holder) => {
    holder.start();
    holder.ownFiles.start();
  },
  close: (holder) => {
    holder.ownFiles.close();
    return holder.close();
  },
});
