import type { ComponentList } from '../../common/coord/index.js';
import { componentsOfPage, readHandoff } from '../../common/coord/net/index.js';
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
  fromHandoff(token: string): Promise<Job>;
}

export function jobSource(ctx: SiteContext, view: () => ContentView): JobSource {
  return {
    fromMain(page) {
      const source = view().pageSource(page);
      const found = source === null ? null : componentsOfPage(source);
      if (!found) throw coordErrors.page_not_found(`no how-to page with components at ${page}`);
      return { ...found, provider: ctx.config.siteId };
    },
    async fromHandoff(token) {
      const h = await readHandoff(ctx, token);
      if (!h) throw coordErrors.handoff_invalid('this link is not valid (or has expired): open "Get the components" on the page again');
      // The job-method provider is asked by page only: it learns nothing about the shopper (claim 22).
      const { body } = await ctx.client.send(h.partner, COORD_COMPONENTS, { page: h.page }, undefined, { timeoutMs: 5000 });
      return { title: body.title, list: { servings: body.servings, components: body.components }, provider: h.partner };
    },
  };
}
