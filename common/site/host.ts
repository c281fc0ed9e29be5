import type { ConfigSlice, SiteConfig, SiteRole } from '../config.js';
import { apiNotFound, createBaseApp, finishApp } from '../http/base-app.js';
import type { ContentView } from '../render/content-view.js';
import type { AccountSection, FastPath, ModuleHost, SiteModule } from '../module.js';
import { fromRoot } from '../paths.js';
import { createConsole, type ConsoleOptions } from './console-routes.js';
import { COMMON_MIGRATIONS, createSiteContext, type ContextOptions, type SiteContext } from './context.js';
import type { MigrationSet } from '../store/sqlite.js';
import { runSite, type RunningSite } from './runner.js';
import { ContractTerms, type TermsSlice } from '../contract/terms.js';
import { createPeerRouter } from './s2s-setup.js';
import { finishS2SRouter } from '../s2s/middleware.js';

/** A kind of site: its role, its console's wording, and its capability modules in order. */
export interface SiteDefinition {
  role: SiteRole;
  console: Omit<ConsoleOptions, 'nav'>;
  modules: readonly SiteModule<unknown>[];
}

/** The contract terms of a kind of site: the slice each of its modules declares. */
export function siteTerms(def: SiteDefinition): ContractTerms {
  return new ContractTerms(termsSlices(def.modules));
}

const termsSlices = (modules: readonly SiteModule<unknown>[]): TermsSlice[] => modules.flatMap((m) => (m.terms ? [m.terms] : []));

/** Every migration a kind of site needs, in the order they apply: the ground floor's, then each module's. */
export function siteMigrations(def: SiteDefinition): MigrationSet[] {
  return [COMMON_MIGRATIONS, ...def.modules.flatMap((m) => m.migrations ?? [])];
}

export interface HostedSite extends RunningSite {
  /** The service of one of the site's modules (for tests, benches and the CLI). */
  use<T>(module: SiteModule<T>): T;
}

/**
 * Builds a site's services from its module list. Services are created in list
 * order; a module that needs another's service asks with `use()`, which
 * creates it first if it has not been created yet (a cycle is an error that
 * names the modules).
 */
export function createHost(ctx: SiteContext, modules: readonly SiteModule<unknown>[]): ModuleHost {
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw new Error(`two modules are named "${m.name}"`);
    names.add(m.name);
  }
  const services = new Map<SiteModule<unknown>, unknown>();
  const creating: string[] = [];
  let view: (() => ContentView) | undefined;
  const host: ModuleHost = {
    ctx,
    use<T>(m: SiteModule<T>): T {
      const key = m as SiteModule<unknown>;
      if (services.has(key)) return services.get(key) as T;
      if (!modules.includes(key)) throw new Error(`module "${m.name}" is not part of this ${ctx.config.role} site`);
      if (creating.includes(m.name)) throw new Error(`modules depend on each other in a cycle: ${[...creating, m.name].join(' -> ')}`);
      creating.push(m.name);
      try {
        const s = m.create(host);
        services.set(key, s);
        return s;
      } finally {
        creating.pop();
      }
    },
    has: (m) => modules.includes(m),
    describePeer(peerId) {
      const out: Record<string, unknown> = {};
      for (const m of modules) Object.assign(out, m.describePeer?.(host.use(m), peerId) ?? {});
      return out;
    },
    peersChanged() {
      for (const m of modules) m.onPeersChanged?.(host.use(m));
    },
    view() {
      if (!view) {
        const provider = modules.find((m) => m.contentView !== undefined);
        if (!provider?.contentView) throw new Error(`no module of this ${ctx.config.role} site provides the content view`);
        view = provider.contentView(host.use(provider));
      }
      return view();
    },
    accountSections() {
      const out: AccountSection[] = [];
      for (const m of modules) out.push(...(m.accountSections?.(host.use(m)) ?? []));
      return out;
    },
    alerts() {
      return modules.flatMap((m) => m.alerts?.(host.use(m)) ?? []);
    },
    partnerReleaseFilters() {
      return modules.flatMap((m) => (m.partnerRelease ? [m.partnerRelease(host.use(m))] : []));
    },
  };
  return host;
}

/** The configuration slices a site's modules bring, each once (two sites' modules may share one). */
export function siteConfigSlices(...defs: SiteDefinition[]): ConfigSlice[] {
  return [...new Set(defs.flatMap((d) => d.modules.flatMap((m) => (m.config ? [m.config] : []))))];
}

/** Every module's configuration keys are loaded (the configuration was loaded with siteConfigSlices of this site). */
export function assertConfigSlices(config: SiteConfig, modules: readonly SiteModule<unknown>[]): void {
  for (const m of modules) {
    const missing = Object.keys(m.config?.shape ?? {}).filter((k) => !(k in config));
    if (missing.length) throw new Error(`the configuration lacks the ${m.name} module's keys (${missing.join(', ')}): load the configuration with siteConfigSlices(<site>) (common/site/host.ts)`);
  }
}

/** Composition: config -> store (migrations of every module) -> services -> app -> listen -> jobs. */
export async function startHostedSite(config: SiteConfig, def: SiteDefinition, opts: Omit<ContextOptions, 'migrations' | 'terms'> = {}): Promise<HostedSite> {
  if (config.role !== def.role) throw new Error(`this is a ${def.role} site; the configuration is for a ${config.role} site`);
  const { modules } = def;
  assertConfigSlices(config, modules);
  const ctx = await createSiteContext(config, { ...opts, migrations: modules.flatMap((m) => m.migrations ?? []), terms: termsSlices(modules) });
  for (const m of modules) for (const t of m.logEntryTypes ?? []) ctx.log.types.register(t, m.name);
  const host = createHost(ctx, modules);
  for (const m of modules) host.use(m);
  const svc = <T>(m: SiteModule<T>): T => host.use(m);

  const app = createBaseApp(ctx);
  app.set('views', [...modules.flatMap((m) => m.views ?? []), fromRoot('common/web/views')]);

  const { router: s2s, deps: s2sDeps } = createPeerRouter(ctx);
  for (const m of modules) m.s2s?.(s2s, svc(m), s2sDeps, host);
  finishS2SRouter(s2s, s2sDeps);
  app.use('/s2s', s2s);

  const base = def.console.basePath;
  const consoleSetup = createConsole(ctx, {
    ...def.console,
    nav: modules.flatMap((m) => (m.nav ?? []).map((n) => ({ href: base + n.path, title: n.title, group: n.group ?? 'Network' }))),
    alerts: () => host.alerts().map((a) => ({ href: base + a.path, text: a.text })),
  });
  for (const m of modules) m.consoleApi?.(consoleSetup.api, svc(m), host);
  for (const m of modules) m.consolePages?.(consoleSetup.pages, svc(m), host);
  app.use(`${base}/api`, consoleSetup.api, apiNotFound);
  app.use(base, consoleSetup.pages);

  const fastPaths: FastPath[] = [];
  for (const m of modules) {
    const fp = m.front?.(app, svc(m), host);
    if (fp) fastPaths.push(fp);
  }
  for (const m of modules) m.frontFallback?.(app, svc(m), host);
  finishApp(app, ctx);

  const fastPath: FastPath | undefined = !config.fastPath || fastPaths.length === 0 ? undefined : fastPaths.length === 1 ? fastPaths[0] : (req, res) => fastPaths.some((f) => f(req, res));
  const site = await runSite(ctx, app, {
    fastPath,
    jobs: () => {
      for (const m of modules) m.start?.(svc(m), host);
      return modules.flatMap((m) => m.jobs?.(svc(m), host) ?? []);
    },
    onClose: [...modules].reverse().map((m) => () => m.close?.(svc(m))),
  });
  return { ...site, use: svc };
}
