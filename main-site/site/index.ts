import { defineModule } from '../../common/module.js';
import { partnersApi } from './partners-api.js';
import { siteCli } from './cli.js';
import { siteErrors } from './errors.js';

/**
 * The peers console of the main site: enrol, list, update, suspend, remove and
 * check partners (/admin/api/partners). The console's home page (identity,
 * keys, peers) and the peer protocol (hello, key announcements) are ground
 * floor; what other capabilities show per partner comes from their describePeer.
 */
export const siteModule = defineModule({
  name: 'site',
  cli: siteCli,
  errors: [siteErrors],
  create: () => ({}),
  consoleApi(router, _s, host) {
    router.use('/partners', partnersApi(host.ctx, { describe: (id) => host.describePeer(id), onChange: () => host.peersChanged() }));
  },
});

export { checkAllPairs, type PairResult } from './partners-check.js';
