import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type ConfigSlice, type SiteConfig, type SiteRole } from '../config.js';
import { once } from 'node:events';
import type { Express } from 'express';
import chokidar, { type FSWatcher } from 'chokidar';
import cron, { type ScheduledTask } from 'node-cron';
import { keysetPath, loadKeyring } from '../keys/keystore.js';
import { CLOCK_SKEW_S, nowSeconds } from '../s2s/tokens.js';
import { announceToAll } from './peer-protocol.js';
import type { SiteContext } from './context.js';

export interface RunningSite {
  ctx: SiteContext;
  server: Server;
  /** The URL the server actually listens on (the port is real even when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/**
 * listen -> scheduled jobs; close() is the graceful shutdown: stop accepting,
 * let in-flight requests finish (up to the configured timeout), stop jobs and
 * watchers, close the database.
 */
export interface RunOptions {
  /** Scheduled jobs started after listen and destroyed at shutdown. */
  jobs?: (() => ScheduledTask[]) | undefined;
  /** Closed at shutdown after the server stops accepting, before the database closes. */
  onClose?: (() => Promise<void> | void)[] | undefined;
  /**
   * Answers some hot requests before express (true when it answered). It must
   * send exactly what the express route would: headers, ETag, log entries.
   */
  fastPath?: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
}

/** What a server's app module builds: the express app and its optional fast path. */
export interface SiteApp {
  app: Express;
  fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export async function runSite(ctx: SiteContext, app: Express, opts: RunOptions = {}): Promise<RunningSite> {
  let shuttingDown = false;
  const fast = opts.fastPath;
  const server = createServer((req, res) => {
    // While closing, every answer ends its keep-alive connection, so clients move on at once.
    if (shuttingDown) res.setHeader('Connection', 'close');
    try {
      if (fast?.(req, res)) return;
    } catch (err) {
      // The fast path answers before express and its error handler: a throw there (a log
      // entry refused at append, say, after the answer was sent) must not end the process.
      ctx.logger.error({ event: 'fast_path_failed', path: req.url?.split('?')[0], err }, 'fast path failed');
      if (!res.headersSent) res.statusCode = 500;
      if (!res.writableEnded) res.end();
      return;
    }
    app(req, res);
  });
  server.listen(ctx.config.port, ctx.config.host);
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.config.port;
  const host = ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host;
  const url = `http://${host}:${port}`;

  // node-cron's own messages (e.g. a tick missed while the process was busy) become JSON log lines.
  cron.setLogger({
    info: (msg) => ctx.logger.debug({ event: 'cron' }, msg),
    warn: (msg) => ctx.logger.debug({ event: 'cron_warning' }, msg),
    error: (msg, err) => ctx.logger.error({ event: 'cron_error', err: err ?? msg }, String(msg)),
    debug: (msg) => ctx.logger.trace({ event: 'cron' }, String(msg)),
  });
  const jobs: ScheduledTask[] = [
    // Housekeeping: replay ids past any possible use, expired sessions, retired peer keys, and retrying key announcements.
    cron.schedule(
      '*/30 * * * * *',
      async () => {
        ctx.replay.purgeBefore(nowSeconds() - CLOCK_SKEW_S);
        ctx.consoleStore.purgeSessions();
        ctx.peers.pruneExpiredKeys();
        await announceToAll(ctx);
      },
      { name: `${ctx.config.siteId}-housekeeping`, noOverlap: true },
    ),
    ...(opts.jobs?.() ?? []),
  ];

  const watcher: FSWatcher = watchKeyset(ctx);
  void announceToAll(ctx);
  ctx.logger.info({ event: 'listening', url, publicUrl: ctx.config.publicUrl, role: ctx.config.role }, `${ctx.config.role} site ${ctx.config.siteId} listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      ctx.logger.info({ event: 'shutdown_started' }, 'shutting down');
      // Open console event streams never finish on their own: end them so the server can close.
      ctx.live.close();
      for (const j of jobs) await j.destroy();
      await watcher.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections that finish their last request after close() began become idle later; sweep them.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => {
        ctx.logger.warn({ event: 'shutdown_forced' }, 'in-flight requests did not finish in time; closing connections');
        server.closeAllConnections();
      }, ctx.config.shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      clearInterval(sweep);
      for (const f of opts.onClose ?? []) await f();
      // Everything appended so far is committed and covered by a signed checkpoint.
      ctx.log.close();
      await ctx.client.close();
      ctx.db.close();
      ctx.logger.info({ event: 'shutdown_complete' }, 'stopped');
    })();
    return closing;
  };
  return { ctx, server, url, close };
}

/** Picks up `tieup keys rotate` while the site runs, then announces the new key to every peer. */
function watchKeyset(ctx: SiteContext): FSWatcher {
  const file = keysetPath(ctx.config.keysDir, ctx.config.siteId);
  const watcher = chokidar.watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
  watcher.on('all', () => {
    void (async () => {
      try {
        const next = await loadKeyring(ctx.config.keysDir, ctx.config.siteId);
        if (next.current.kid === ctx.keyring().current.kid) return;
        ctx.setKeyring(next);
        ctx.logger.info({ event: 'keys_reloaded', current: next.current.kid }, 'our keys changed; announcing the new key to peers');
        await announceToAll(ctx);
      } catch (err) {
        ctx.logger.error({ event: 'keys_reload_failed', reason: (err as Error).message }, 'could not reload our keys; still using the previous ones');
      }
    })();
  });
  return watcher;
}

/** For the server entry points: SIGTERM/SIGINT trigger one graceful shutdown, then exit. */
export function exitOnSignals(site: RunningSite): void {
  const stop = (signal: string) => {
    site.ctx.logger.info({ event: 'signal', signal }, `received ${signal}`);
    site
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        site.ctx.logger.error({ event: 'shutdown_failed', err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * The entry-point boilerplate of a server: when this module is the process's
 * main script, load the configuration, start, and stop on signals; a bad
 * configuration prints one line per problem and exits 1.
 */
export async function runAsMain(moduleUrl: string, role: SiteRole, slices: readonly ConfigSlice[], start: (config: SiteConfig) => Promise<RunningSite>): Promise<void> {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  try {
    exitOnSignals(await start(loadConfig(role, process.env, {}, slices)));
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `tieup ${role} site failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}
