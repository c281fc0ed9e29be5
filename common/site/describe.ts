import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { ScheduledTask } from 'node-cron';
import { envName, GROUND_CONFIG, loadConfig, type SiteRole } from '../config.js';
import { defaultOf, type ConfigSlice } from '../config-slice.js';
import { generateSiteKeys } from '../keys/keystore.js';
import type { SiteModule } from '../module.js';
import type { MigrationSet } from '../store/sqlite.js';
import { createConsole } from './console-routes.js';
import { COMMON_MIGRATIONS, createSiteContext } from './context.js';
import { createHost, siteConfigSlices, type SiteDefinition } from './host.js';
import { createPeerRouter } from './s2s-setup.js';

/** What one module (or the ground floor) contributes to a kind of site, as `tieup modules` lists it. */
export interface ModuleDescription {
  name: string;
  /** Console navigation: the module's path, its title, and the full link. */
  nav: { path: string; title: string; href: string }[];
  /** "METHOD /path", full paths as the site answers them. */
  s2s: string[];
  consoleApi: string[];
  consolePages: string[];
  front: string[];
  jobs: { name: string; schedule: string }[];
  migrations: { namespace: string; files: string[] }[];
  config: { key: string; env: string; default?: unknown }[];
  cli: { name: string; usage: string[] }[];
}

export interface SiteDescription {
  role: SiteRole;
  consoleBase: string;
  /** What every site has whatever its modules: the peer protocol, the console's home, the ground floor's keys and migrations. */
  ground: ModuleDescription;
  modules: ModuleDescription[];
}

interface Layer {
  route?: { path: string | RegExp | (string | RegExp)[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** The routes of an express router (and of the routers mounted in it), read from its stack. */
export function routesOf(router: { stack?: Layer[] } | undefined, prefix = ''): string[] {
  const out: string[] = [];
  // A path given as a regular expression is shown as "prefix ~ /regexp/".
  const full = (p: string | RegExp) => (p instanceof RegExp ? `${prefix || '/'} ~ ${String(p)}` : (prefix + p).replace(/(.)\/+$/, '$1') || '/');
  for (const layer of router?.stack ?? []) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== '_all');
      const verb = methods.length ? methods.map((m) => m.toUpperCase()).join(',') : 'ALL';
      for (const p of [layer.route.path].flat()) out.push(`${verb} ${full(p)}`);
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...routesOf(layer.handle, prefix + mount));
    }
  }
  return out;
}

function migrationsOf(sets: readonly MigrationSet[]): ModuleDescription['migrations'] {
  return sets.map((s) => ({
    namespace: s.namespace,
    files: readdirSync(s.dir)
      .filter((f) => f.endsWith('.sql'))
      .sort(),
  }));
}

function configOf(shape: ConfigSlice['shape']): ModuleDescription['config'] {
  return Object.entries(shape).map(([key, schema]) => {
    const d = defaultOf(schema as never);
    return { key, env: envName(key), ...(d !== undefined ? { default: d } : {}) };
  });
}

async function jobsOf(tasks: ScheduledTask[], siteId: string): Promise<ModuleDescription['jobs']> {
  const out = tasks.map((t) => ({ name: (t.name ?? t.id).replace(`${siteId}-`, ''), schedule: t.getPattern() }));
  for (const t of tasks) await t.destroy();
  return out;
}

/**
 * Describes a kind of site from its module list, without serving it: builds
 * every module's service against a throwaway context (an in-memory database,
 * keys in a temporary folder, watchers off), mounts each module's routes on
 * real routers and reads them back, asks for its jobs and destroys them at
 * once, then closes everything as a shutdown would.
 */
export async function describeSite(def: SiteDefinition): Promise<SiteDescription> {
  const dir = mkdtempSync(join(tmpdir(), 'tieup-describe-'));
  const siteId = def.role;
  try {
    const config = loadConfig(
      def.role,
      {},
      {
        siteId,
        port: 0,
        dataDir: join(dir, 'data'),
        keysDir: join(dir, 'keys'),
        logLevel: 'silent',
        contentDir: join(dir, 'content'),
        templatesDir: join(dir, 'templates'),
        originalDir: join(dir, 'original'),
        watchContent: false,
      },
      siteConfigSlices(def),
    );
    config.dbFile = ':memory:';
    await generateSiteKeys(config.keysDir, siteId);
    const { modules } = def;
    const ctx = await createSiteContext(config, { migrations: modules.flatMap((m) => m.migrations ?? []), defaultMetrics: false });
    const host = createHost(ctx, modules);
    const created: SiteModule<unknown>[] = [];
    try {
      for (const m of modules) {
        host.use(m);
        created.push(m);
      }
      const base = def.console.basePath;

      const peer = createPeerRouter(ctx);
      const consoleSetup = createConsole(ctx, { ...def.console, nav: [] });
      const ground: ModuleDescription = {
        name: 'ground floor',
        nav: [{ path: '/', title: 'Site and peers', href: `${base}/` }],
        s2s: routesOf(peer.router as never, '/s2s'),
        consoleApi: routesOf(consoleSetup.api as never, `${base}/api`),
        consolePages: routesOf(consoleSetup.pages as never, base),
        front: [],
        jobs: [],
        migrations: migrationsOf([COMMON_MIGRATIONS]),
        config: configOf(GROUND_CONFIG.shape),
        cli: [],
      };

      const described: ModuleDescription[] = [];
      for (const m of modules) {
        const svc = host.use(m);
        const s2s = express.Router();
        m.s2s?.(s2s, svc, peer.deps, host);
        const api = express.Router();
        m.consoleApi?.(api, svc, host);
        const pages = express.Router();
        m.consolePages?.(pages, svc, host);
        const app = express();
        m.front?.(app, svc, host);
        m.frontFallback?.(app, svc, host);
        described.push({
          name: m.name,
          nav: (m.nav ?? []).map((n) => ({ path: n.path, title: n.title, href: base + n.path })),
          s2s: routesOf(s2s as never, '/s2s'),
          consoleApi: routesOf(api as never, `${base}/api`),
          consolePages: routesOf(pages as never, base),
          front: routesOf((app as unknown as { router: never }).router),
          jobs: await jobsOf(m.jobs?.(svc, host) ?? [], siteId),
          migrations: migrationsOf(m.migrations ?? []),
          config: m.config ? configOf(m.config.shape) : [],
          cli: (m.cli ?? []).map((c) => ({ name: c.name, usage: [c.usage ?? []].flat() })),
        });
      }
      return { role: def.role, consoleBase: base, ground, modules: described };
    } finally {
      for (const m of created.reverse()) await m.close?.(host.use(m));
      ctx.log.close();
      await ctx.client.close();
      ctx.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
