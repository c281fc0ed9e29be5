import { reconcileProviderLists, type ComponentList } from '../../common/coord/index.js';
import { checkHandoff, pageComponents } from '../../common/coord/net/index.js';
import { COORD_COMPONENTS } from '../../common/protocol/index.js';
import type { ContentView } from '../../common/render/content-view.js';
import type { SiteContext } from '../../common/site/context.js';
import { coordErrors } from './errors.js';

export interface Job {
  title: string;
  list: ComponentList;
  /** Who published the page: this site or the partner that handed the shopper over. */
  provider: string;
}

/** Where a job's component list comes from: the main site's own page, or the page of the partner that handed the shopper over. */
export interface JobSource {
  fromMain(page: string): Job;
  /**
   * The job a partner's hand-over names. An authentic hand-over past its
   * lifetime is refused with handoff_expired, whose details name where the
   * partner signs a fresh one (`renew`: its /coord/get for the same page).
   */
  fromHandoff(token: string): Promise<Job>;
  /**
   * Claims 8, 24: the same page asked of every job-method provider of the
   * network at once (this site's own page included), and their lists
   * reconciled into one (common/coord reconcileProviderLists). Providers that
   * do not answer within the deadline, or have no such page, are left out.
   */
  fromProviders(page: string, deadlineMs?: number): Promise<Job & { providers: string[] }>;
}

export function jobSource(ctx: SiteContext, view: () => ContentView): JobSource {
  return {
    fromMain(page) {
      return { ...pageComponents(view(), page), provider: ctx.config.siteId };
    },
    async fromHandoff(token) {
      const h = await checkHandoff(ctx, token);
      if (!h) throw coordErrors.handoff_invalid('This link is not valid: open "Get the components" on the how-to page again.');
      if (h.state === 'expired') {
        const partner = ctx.peers.get(h.partner);
        const renew = partner ? `${partner.baseUrl.replace(/\/+$/, '')}/coord/get?page=${encodeURIComponent(h.page)}` : null;
        throw coordErrors.handoff_expired(undefined, renew ? { renew } : undefined);
      }
      // The job-method provider is asked by page only: it learns nothing about the shopper (claim 22).
      const { body } = await ctx.client.send(h.partner, COORD_COMPONENTS, { page: h.page }, undefined, { timeoutMs: 5000 });
      return { title: body.title, list: { servings: body.servings, components: body.components }, provider: h.partner };
    },
    async fromProviders(page, deadlineMs = 2000) {
      const lists: { provider: string; list: ComponentList; title: string }[] = [];
      try {
        const own = this.fromMain(page);
        lists.push({ provider: own.provider, list: own.list, title: own.title });
      } catch {
        // this site has no such page; the partners may
      }
      const partners = ctx.peers.list().filter((p) => p.role === 'partner' && p.status === 'active');
      const answers = await Promise.allSettled(
        partners.map((p) => ctx.client.send(p.id, COORD_COMPONENTS, { page }, undefined, { timeoutMs: deadlineMs }).then((r) => ({ provider: p.id, body: r.body }))),
      );
      for (const a of answers)
        if (a.status === 'fulfilled') lists.push({ provider: a.value.provider, title: a.value.body.title, list: { servings: a.value.body.servings, components: a.value.body.components } });
      if (!lists.length) throw coordErrors.page_not_found(`no job-method provider has a page ${page}`);
      const servings = lists[0]!.list.servings;
      const merged = reconcileProviderLists(lists, servings);
      return {
        title: lists[0]!.title,
        provider: lists.map((l) => l.provider).join(', '),
        providers: lists.map((l) => l.provider),
        list: { servings: merged.servings, components: merged.components.map(({ sources: _sources, ...c }) => c) },
      };
    },
  };
}
