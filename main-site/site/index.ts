import { defineModule } from '../../common/module.js';
import { fromRoot } from '../../common/paths.js';
import { partnersApi } from './partners-api.js';
import { partnersPages } from './partners-pages.js';
import { siteCli } from './cli.js';
import { siteErrors } from './errors.js';

/**
 * The peers console of the main site: enrol, list, update, suspend, remove and
 * check partners (/admin/api/partners, and the same from forms at /admin/partners). The console's home page (identity,
 * keys, peers) and the peer protocol (hello, key announcements) are ground
 * floor; what other capabilities show per partner comes from their describePeer.
 */
export const siteModule = defineModule({
  name: 'site',
  cli: siteCli,
  errors: [siteErrors],
  views: [fromRoot('main-site/site/views')],
  nav: [{ path: '/partners', title: 'Partners' }],
  create: () => ({}),
  consoleApi(router, _s, host) {
    router.use('/partners', partnersApi(host.ctx, { describe: (id) => host.describePeer(id), onChange: () => host.peersChanged() }));
  },
  // The same partners from forms (/admin/partners): enrol with a key confirmation, contract terms per slice, suspend / activate / remove.
  consolePages(router, _s, host) {
    router.use(partnersPages(host));
  },
});

export { checkAllPairs, type PairResult } from './partners-check.js';
