import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type SiteConfig } from '../common/config.js';
import { createSiteContext, type ContextOptions } from '../common/site/context.js';
import { exitOnSignals, runSite, type RunningSite } from '../common/site/runner.js';
import { createPartnerApp } from './app.js';
import { PARTNER_MIGRATIONS } from './store/migrations.js';

/** Composition root: config -> store -> app -> listen -> scheduled jobs. */
export async function startPartnerSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningSite> {
  if (config.role !== 'partner') throw new Error('startPartnerSite needs a partner-site configuration');
  const ctx = await createSiteContext(config, { ...opts, migrations: [PARTNER_MIGRATIONS] });
  const app = createPartnerApp(ctx);
  return runSite(ctx, app);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const site = await startPartnerSite(loadConfig('partner'));
    exitOnSignals(site);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `tieup partner site failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}
