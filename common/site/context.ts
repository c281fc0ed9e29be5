import type { SiteConfig } from '../config.js';
import { loadKeyring, type Keyring } from '../keys/keystore.js';
import { createLogger, type Logger } from '../logger.js';
import { SiteMetrics } from '../http/metrics.js';
import { S2SClient } from '../s2s/client.js';
import { ConsoleStore } from '../store/console-store.js';
import { PeerStore } from '../store/peer-store.js';
import { ReplayStore } from '../store/replay-store.js';
import { openDatabase, runMigrations, type Db, type MigrationSet } from '../store/sqlite.js';
import { fromRoot } from '../paths.js';
import { SiteLog } from '../logchain/site-log.js';
import { logOrigin, rawPublicKey, type NoteSigner } from '../logchain/note.js';
import { LogStore } from '../store/log-store.js';
import { StorageHealth } from '../store/storage-health.js';
import { ContractTerms, type TermsSlice } from '../contract/terms.js';
import { upgradeUnslicedContracts } from '../contract/upgrade.js';
import { LiveEvents } from './live-events.js';

/** Everything a site's routes and jobs need, built once by the composition root. */
export interface SiteContext {
  config: SiteConfig;
  logger: Logger;
  db: Db;
  peers: PeerStore;
  /** The contract terms of this kind of site: the slices its modules declare. */
  terms: ContractTerms;
  replay: ReplayStore;
  consoleStore: ConsoleStore;
  metrics: SiteMetrics;
  client: S2SClient;
  /** This site's own access log, and its storage (for shipping and export). */
  log: SiteLog;
  logStore: LogStore;
  /** Components that cannot write to the database now (a full disk): /healthz, metrics. */
  storage: StorageHealth;
  /** What changed, for open console pages (server-sent events at <console>/events; docs/console-live.md). */
  live: LiveEvents;
  /** A signed-note signer with this site's current key under a given name (log checkpoints, cosignatures). */
  noteSigner(name: string): NoteSigner;
  /** Always the keyring in force; replaced in place when keys rotate. */
  // A property, not a method: it is handed around on its own (the s2s client and middleware take it).
  keyring: () => Keyring;
  setKeyring(k: Keyring): void;
}

export const COMMON_MIGRATIONS: MigrationSet = { namespace: 'common', dir: fromRoot('common/store/migrations') };

export interface ContextOptions {
  /** The server's own migrations, applied after the shared ones. */
  migrations: MigrationSet[];
  /** The contract terms slices of the server's modules (none for a bare context). */
  terms?: readonly TermsSlice[];
  logDestination?: NodeJS.WritableStream;
  /** Tests and benches run several sites in one process; default metrics would clash. */
  defaultMetrics?: boolean;
}

export async function createSiteContext(config: SiteConfig, opts: ContextOptions): Promise<SiteContext> {
  const logger = createLogger(config.siteId, config.logLevel, opts.logDestination);
  let keyring = await loadKeyring(config.keysDir, config.siteId);
  const db = openDatabase(config.dbFile);
  const applied = runMigrations(db, [COMMON_MIGRATIONS, ...opts.migrations]);
  const peers = new PeerStore(db);
  const terms = new ContractTerms(opts.terms ?? []);
  applied.push(...upgradeUnslicedContracts(db, peers, terms, logger));
  if (applied.length) logger.info({ event: 'migrations_applied', migrations: applied }, 'database migrated');
  const metrics = new SiteMetrics(config.siteId, opts.defaultMetrics ?? true);
  const signer = (name: string): NoteSigner => {
    const k = keyring.current;
    return { name, key: k.privateKey, publicRaw: rawPublicKey(k.publicJwk.x) };
  };
  const logStore = new LogStore(db);
  const storage = new StorageHealth(logger, metrics);
  const log = new SiteLog(
    logStore,
    config.siteId,
    () => signer(logOrigin(config.siteId)),
    logger,
    {
      flushMs: config.logFlushMs,
      flushEntries: 512,
      checkpointMs: config.logCheckpointMs,
      checkpointEntries: config.logCheckpointEntries,
    },
    storage,
  );
  metrics.logPending = () => log.pendingCount;
  const live = new LiveEvents();
  // Every change to a peer (enrolled, status, contract, hello, keys, removed) refreshes the peers console.
  peers.onChange((id) => live.publish('peers', 'changed', id));
  const ctx: SiteContext = {
    live,
    noteSigner: signer,
    log,
    logStore,
    storage,
    config,
    logger,
    db,
    peers,
    terms,
    replay: new ReplayStore(db),
    consoleStore: new ConsoleStore(db),
    metrics,
    client: new S2SClient({ selfId: config.siteId, peers, keyring: () => keyring, metrics, logger }),
    keyring: () => keyring,
    setKeyring: (k) => {
      keyring = k;
    },
  };
  return ctx;
}
