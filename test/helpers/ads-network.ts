import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { startMailbox, type Mailbox } from '../../cli/demo-mailbox.js';
import type { SiteConfigInput } from '../../common/config.js';
import { generateSiteKeys, loadKeyring } from '../../common/keys/keystore.js';
import { fromRoot } from '../../common/paths.js';
import { siteMigrations } from '../../common/site/host.js';
import { PeerStore } from '../../common/store/peer-store.js';
import { openDatabase, runMigrations } from '../../common/store/sqlite.js';
import { adsModule, type MainAds } from '../../main-site/ads/index.js';
import type { RunningMain } from '../../main-site/server.js';
import { PARTNER_SITE, type RunningPartner } from '../../partner-site/server.js';
import { freePorts } from './cli.js';
import { enrolPair, publicKeysOf, startSite, tempDir } from './network.js';

/** Fast exchanges and notices, so a test waits on conditions, not on defaults meant for production. */
export const ADS_FAST = {
  adsExchangeMs: 100,
  adsIdleReturnMs: 1500,
  adsLeaseTtlMs: 4000,
  adsLeaseMarginMs: 500,
  noticeRetryBaseMs: 30,
  noticeRetryMaxMs: 200,
  noticePollMs: 20,
} satisfies Partial<SiteConfigInput>;

/** A partner site run as a child process, so it can be SIGKILLed and started again on the same port and data. */
export interface ChildPartner {
  id: string;
  url: string;
  dbFile: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface AdsNetwork {
  dir: string;
  main: RunningMain;
  ads: MainAds;
  north: RunningPartner;
  south: ChildPartner;
  mailbox: Mailbox;
  advertiser: string;
  /** Every site's base URL: main, north, south. */
  urls: string[];
  close(): Promise<void>;
}

const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

/** Main site (in process, e-mailing a loopback SMTP server), partner north (in process), partner south (child process). */
export async function startAdsNetwork(extra: Partial<SiteConfigInput> = {}): Promise<AdsNetwork> {
  const dir = tempDir('tieup-ads-');
  const mailbox = await startMailbox();
  const cfg = { ...ADS_FAST, ...extra };
  const main = await startSite('main', 'main', dir, { ...cfg, smtpHost: '127.0.0.1', smtpPort: mailbox.port, mailFrom: 'Tieup <notices@main.test>' });
  const north = await startSite('partner', 'north', dir, cfg);
  await enrolPair(dir, main, north);

  const [port] = (await freePorts(1)) as [number];
  const southUrl = `http://127.0.0.1:${port}`;
  await generateSiteKeys(join(dir, 'keys'), 'south');
  const dbFile = join(dir, 'south-data', 'south.sqlite');
  const db = openDatabase(dbFile);
  runMigrations(db, siteMigrations(PARTNER_SITE));
  const southKr = await loadKeyring(join(dir, 'keys'), 'south');
  new PeerStore(db).add({ id: 'main', role: 'main', baseUrl: main.url, ackedKid: southKr.current.kid, keys: await publicKeysOf(dir, 'main') });
  db.close();
  main.ctx.peers.add({ id: 'south', role: 'partner', baseUrl: southUrl, contract: main.ctx.terms.initial({}), ackedKid: main.ctx.keyring().current.kid, keys: await publicKeysOf(dir, 'south') });

  let child: ChildProcess | undefined;
  const env: Record<string, string> = {
    TIEUP_CONFIG: '',
    TIEUP_SITE_ID: 'south',
    TIEUP_PORT: String(port),
    TIEUP_PUBLIC_URL: southUrl,
    TIEUP_DATA_DIR: join(dir, 'south-data'),
    TIEUP_KEYS_DIR: join(dir, 'keys'),
    TIEUP_ORIGINAL_DIR: fromRoot('partner-site/demo-original/south'),
    TIEUP_LOG_LEVEL: 'error',
  };
  for (const [k, v] of Object.entries(cfg)) env[`TIEUP_${k.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}`] = String(v);
  const south: ChildPartner = {
    id: 'south',
    url: southUrl,
    dbFile,
    async start() {
      child = spawn(process.execPath, [fromRoot('dist/partner-site/server.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
      for (let i = 0; i < 400; i++) {
        try {
          if ((await fetch(`${southUrl}/healthz`)).ok) return;
        } catch {
          // not up yet
        }
        await sleep(25);
      }
      throw new Error('south did not start');
    },
    async kill() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
      child = undefined;
    },
  };
  await south.start();
  const advertiser = main.portal.invite({ email: 'ads@advertiser.test', kind: 'advertiser', displayName: 'Trail Gear Ltd' }, 'test').party.id;
  return {
    dir,
    main,
    ads: main.use(adsModule),
    north,
    south,
    mailbox,
    advertiser,
    urls: [main.url, north.url, southUrl],
    async close() {
      await south.kill();
      await Promise.all([main.close(), north.close()]);
      await mailbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One ad for the tests: an HTML snippet, keywords, 25 points. */
export function testAd(id: string, over: Record<string, unknown> = {}) {
  return { id, title: `Ad ${id}`, text: 'Light tents for long trails.', creative: { kind: 'html', html: '<p>Trail tents <b>-20%</b></p>' }, keywords: ['tent', 'trail'], points: 25, ...over };
}

// One pool per test file (each file's after() closes it; the next file opens a new one).
let pool: Agent | undefined;
const agent = (): Agent => (pool ??= new Agent({ connections: 512, pipelining: 1 }));

/** GETs a page; the ad id shown in it, null for none, undefined when the site did not answer. */
export async function adOn(url: string, path = '/', headers: Record<string, string> = {}): Promise<string | null | undefined> {
  try {
    const r = await request(`${url}${path}`, { dispatcher: agent(), headers: { accept: 'text/html', ...headers } });
    const body = await r.body.text();
    if (r.statusCode !== 200) return undefined;
    return /data-ad="([^"]+)"/.exec(body)?.[1] ?? null;
  } catch {
    return undefined;
  }
}

/** The `ad` entries for one ad in a site's log database (committed lines), as lease/seq paths. */
export function adEntriesIn(dbFile: string, ad: string, type: 'ad' | 'ad_view' = 'ad'): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const lines = db.prepare('SELECT line FROM log_entries WHERE line LIKE ?').all(`%"type":"${type}"%/ads/${ad}/%`) as { line: string }[];
    return lines.map((l) => (JSON.parse(l.line) as { path: string }).path);
  } finally {
    db.close();
  }
}

export async function closeAgent(): Promise<void> {
  const a = pool;
  pool = undefined;
  await a?.close();
}

export interface AdsPair {
  dir: string;
  main: RunningMain;
  ads: MainAds;
  north: RunningPartner;
  mailbox: Mailbox;
  advertiser: string;
  urls: string[];
  close(): Promise<void>;
}

/** Main site and partner north, both in process, the main site e-mailing a loopback SMTP server. */
export async function startAdsPair(extra: Partial<SiteConfigInput> = {}): Promise<AdsPair> {
  const dir = tempDir('tieup-ads-');
  const mailbox = await startMailbox();
  const cfg = { ...ADS_FAST, ...extra };
  const main = await startSite('main', 'main', dir, { ...cfg, smtpHost: '127.0.0.1', smtpPort: mailbox.port, mailFrom: 'Tieup <notices@main.test>' });
  const north = await startSite('partner', 'north', dir, cfg);
  await enrolPair(dir, main, north);
  const advertiser = main.portal.invite({ email: 'ads@advertiser.test', kind: 'advertiser', displayName: 'Trail Gear Ltd' }, 'test').party.id;
  return {
    dir,
    main,
    ads: main.use(adsModule),
    north,
    mailbox,
    advertiser,
    urls: [main.url, north.url],
    async close() {
      await Promise.all([main.close(), north.close()]);
      await mailbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `f` every 25 ms until it gives a truthy value (returned), or fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
