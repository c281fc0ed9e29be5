import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type SiteConfig } from '../common/config.js';
import { createSiteContext, type ContextOptions } from '../common/site/context.js';
import { exitOnSignals, runSite, type RunningSite } from '../common/site/runner.js';
import { createMainApp } from './app.js';
import { MAIN_MIGRATIONS } from './store/migrations.js';

/** Composition root: config -> store -> app -> listen -> scheduled jobs. */
export async function startMainSite(config: SiteConfig, opts: Omit<ContextOptions, 'migrations'> = {}): Promise<RunningSite> {
  if (config.role !== 'main') throw new Error('startMainSite needs a main-site configuration');
  const ctx = await createSiteContext(config, { ...opts, migrations: [MAIN_MIGRATIONS] });
  const app = createMainApp(ctx);
  return runSite(ctx, app);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const site = await startMainSite(loadConfig('main'));
    exitOnSignals(site);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `tieup main site failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}
