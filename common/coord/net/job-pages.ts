import express from 'express';
import { componentsOfSource } from '../index.js';
import { COORD_COMPONENTS } from '../../protocol/coord.js';
import type { ContentView } from '../../render/content-view.js';
import { s2sEndpoint, type S2SServerDeps } from '../../s2s/middleware.js';
import { supplyErrors } from './errors.js';
import type { CoordPageLog } from './page-log.js';

/** The component list of one of this site's pages, or a page_not_found refusal. */
export function pageComponents(view: ContentView, page: string) {
  const source = view.pageSource(page);
  const found = source === null ? null : componentsOfSource(source);
  if (!found) throw supplyErrors.page_not_found(`no how-to page with components at ${page}`);
  return found;
}

/** A job-method provider's /s2s endpoint: the component list of one of its pages (asked by page, nothing about who asks). */
export function mountJobEndpoints(router: express.Router, view: () => ContentView, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, COORD_COMPONENTS, (_s2s, body) => {
    const { title, list } = pageComponents(view(), body.page);
    return { body: { title, servings: list.servings, components: list.components } };
  });
}

/**
 * "Get the components" on a page: /coord/get?page=<path> sends the shopper to
 * the coordination page at the main site; every answer is logged. On a
 * partner the target is signed here, when the link is followed (so a link in
 * a page never goes stale); `servings` and `again` (the main site sending an
 * expired hand-over back to be signed afresh) are passed on.
 */
export function getComponentsLink(target: (page: string) => string | null, view: () => ContentView, logged: CoordPageLog): express.Router {
  const r = express.Router();
  r.get('/coord/get', (req, res) => {
    const page = typeof req.query.page === 'string' && /^\/[A-Za-z0-9/_.-]{0,300}$/.test(req.query.page) ? req.query.page : null;
    const v = view();
    const known = page !== null && v.hasPage(page);
    const passOn = [typeof req.query.servings === 'string' && /^[0-9]{1,4}$/.test(req.query.servings) ? `&servings=${req.query.servings}` : '', req.query.again === '1' ? '&again=1' : ''].join('');
    const signed = known ? target(page) : null;
    const to = signed === null ? null : signed + passOn;
    if (!known) res.status(404).type('html').send(v.message('Nothing to get', 'That page lists no components.'));
    else if (!to) res.status(503).type('html').send(v.message('Not available', 'Ordering components needs the main site; this site has none enrolled.'));
    else res.redirect(303, to);
    logged(req, res);
  });
  return r;
}
