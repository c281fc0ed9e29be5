import { loadConfig, type SiteConfig, type SiteConfigInput, type SiteRole } from '../common/config.js';
import { siteConfigSlices } from '../common/site/host.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';

/**
 * Every configuration slice of both kinds of site. A site process loads only
 * its own modules' slices; the demo, the tests and the benches start both
 * kinds from one set of overrides, so they load all of them (a site ignores
 * the other kind's keys).
 */
export const NETWORK_CONFIG_SLICES = siteConfigSlices(MAIN_SITE, PARTNER_SITE);

/** A site's configuration with every slice of the network (see NETWORK_CONFIG_SLICES). */
export function loadNetworkConfig(role: SiteRole, env: NodeJS.ProcessEnv = process.env, overrides: Partial<SiteConfigInput> = {}): SiteConfig {
  return loadConfig(role, env, overrides, NETWORK_CONFIG_SLICES);
}
