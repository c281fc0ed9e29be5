import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { fromRoot } from '../common/paths.js';
import { ConsoleStore } from '../common/store/console-store.js';
import { PeerStore } from '../common/store/peer-store.js';
import { openDatabase, runMigrations, type Db } from '../common/store/sqlite.js';
import { hashPassword } from '../common/web/password.js';
import { randomToken, sha256Hex } from '../common/web/tokens.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { siteMigrations, siteTerms } from '../common/site/host.js';
import { demoCountsLines, prepareDemoCounts } from './demo-counts.js';
import { upgradeUnslicedContracts } from '../common/contract/upgrade.js';
import { SyncStore } from '../partner-site/sync/sync-store.js';
import { PartnerShopStore } from '../partner-site/shop/shop-store.js';
import { FeeStore } from '../main-site/fees/fee-store.js';
import { parseFeeContract } from '../common/fees/contract.js';
import type { SiteRole } from '../common/config.js';
import { CliError } from '../common/cli/command.js';
import { PartyStore } from '../main-site/portal/index.js';
import { NoticeStore } from '../main-site/notices/index.js';
import { plannedBannerLines, prepareDemoPlanned } from './demo-planned.js';
import { ReconcileStore } from '../main-site/paid/reconcile/reconcile-store.js';
import { supplierContract, type SupplierContract } from '../common/paid/supplier-statement.js';
import { startMailbox, type Mailbox } from './demo-mailbox.js';
import { coordBanner, prepareCoordDemo, startCoordDemo } from './demo-coord.js';
import { prepareDemoAdvertiser, setupDemoAds } from './demo-ads.js';

interface DemoSite {
  id: string;
  role: SiteRole;
  port: number;
  url: string;
  /** The partner's contract terms by capability, written as the main site writes them. */
  contract?: Record<string, unknown>;
  /** The partner's own look, set once (a manager's later changes are kept). */
  look?: Record<string, unknown>;
  user: { username: string; password: string; role: 'operator' | 'manager' };
  note: string;
  /** A partner's own stock of tie-up goods it sells locally, set once. */
  localStock?: Record<string, number>;
}

export const DEMO_PASSWORDS = { operator: 'tieup-demo-operator', manager: 'tieup-demo-manager', supplier: 'tieup-demo-supplier' };

/**
 * The demo's content suppliers at the main site's portal (passwords set, as if
 * they had accepted their invitations). Their party ids are the `supplier` the
 * demo items name in item.json, so sales reports and payment statements reach
 * them: Fernhill Press supplies trail-guide (per access), Highcloud Data
 * weather-letter (monthly) and summit-bets (18+).
 */
export const DEMO_SUPPLIER = { id: 'p-000000000001', kind: 'supplier' as const, displayName: 'Fernhill Press', email: 'supplier@demo.test' };
export const DEMO_SUPPLIER_2 = { id: 'p-000000000002', kind: 'supplier' as const, displayName: 'Highcloud Data', email: 'highcloud@demo.test' };
export const DEMO_SUPPLIERS = [DEMO_SUPPLIER, DEMO_SUPPLIER_2];

/** Supplier contracts, so the operator can issue payment statements in the demo: one basis of each common kind. */
const DEMO_SUPPLIER_CONTRACTS: SupplierContract[] = [
  { supplier: DEMO_SUPPLIER.id, party: DEMO_SUPPLIER.id, effectiveFrom: '2026-01', currency: 'EUR', items: [{ item: 'trail-guide', basis: { type: 'unit_price_per_access', unitPrice: 120 } }] },
  {
    supplier: DEMO_SUPPLIER_2.id,
    party: DEMO_SUPPLIER_2.id,
    effectiveFrom: '2026-01',
    currency: 'EUR',
    items: [
      { item: 'weather-letter', basis: { type: 'per_subscriber', unitPrice: 200 } },
      { item: 'summit-bets', basis: { type: 'royalty_per_delivery', bps: 3000 } },
    ],
  },
];

const demoTerms = (base: number, services: Record<string, number>) => ({
  baseFee: { link: 2000, template: 5000, content: base },
  services,
  contributionDiscount: [
    { minOriginalShareBps: 1000, discountBps: 1000 },
    { minOriginalShareBps: 3000, discountBps: 2500 },
  ],
  volumeIncentive: [
    { above: 1000, discountBps: 500 },
    { above: 10000, discountBps: 1000 },
  ],
  handlingFee: { bps: 250, fixed: 30, min: 50, max: 1000 },
});
const DEMO_FEE_CONTRACTS: Record<string, { currency: string; timeZone: string; versions: unknown[] }> = {
  // North lives partly on ads (seed 001, Example 1): a credit for the main site's advertisers' ads on its pages, a fee for its own (ad-north-repairs).
  north: {
    currency: 'EUR',
    timeZone: 'Europe/Berlin',
    versions: [{ effectiveFrom: '2026-01-01', terms: { ...demoTerms(10000, { integrityWatch: 1500 }), ads: { mainAdCreditPerThousand: 2000, ownAdFeePerThousand: 500 } } }],
  },
  south: { currency: 'EUR', timeZone: 'Europe/Berlin', versions: [{ effectiveFrom: '2026-01-01', terms: demoTerms(12000, { integrityWatch: 1500, emergencyEdit: 2000 }) }] },
};

export function demoSites(host: string, ports: [number, number, number]): DemoSite[] {
  const url = (p: number) => `http://${host}:${p}`;
  return [
    { id: 'main', role: 'main', port: ports[0], url: url(ports[0]), user: { username: 'operator', password: DEMO_PASSWORDS.operator, role: 'operator' }, note: 'main site' },
    {
      id: 'north',
      role: 'partner',
      port: ports[1],
      url: url(ports[1]),
      contract: { sync: { partnershipType: 'content', requiresApproval: false, schedule: '*/10 * * * * *' }, shop: { handling: { default: 'entrust', rules: [] } }, news: { shopperData: true } },
      look: { siteName: 'North Outfitters', colours: { primary: '#1f7a4d' }, contact: 'North Outfitters · 1 Harbour Road · open daily' },
      user: { username: 'manager', password: DEMO_PASSWORDS.manager, role: 'manager' },
      note: 'partner, applies updates at once',
    },
    {
      id: 'south',
      role: 'partner',
      port: ports[2],
      url: url(ports[2]),
      contract: {
        sync: { partnershipType: 'content', requiresApproval: true, emergencyEdit: true, schedule: '*/15 * * * * *' },
        // South sells kitchen goods from its own stock, asks the main site about shelter, entrusts the rest.
        shop: {
          handling: {
            default: 'entrust',
            rules: [
              { category: 'kitchen', mode: 'local' },
              { category: 'shelter', mode: 'consult' },
            ],
          },
          consult: { checkStock: false, warehouse: 'central', handlingFee: 300 },
        },
        users: { userCopy: true },
      },
      localStock: { 'mug-ti': 10, 'stove-gas': 4 },
      look: { siteName: 'South Market', colours: { primary: '#a8480f' }, contact: 'South Market · covered market, stall 14' },
      user: { username: 'manager', password: DEMO_PASSWORDS.manager, role: 'manager' },
      note: 'partner, updates wait for approval',
    },
  ];
}

function parsePorts(v: string | undefined): [number, number, number] {
  if (!v) return [3000, 3001, 3002];
  const ps = v.split(',').map((s) => Number(s.trim()));
  if (ps.length !== 3 || ps.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new CliError(`TIEUP_DEMO_PORTS must be three ports, e.g. 3000,3001,3002 (got "${v}")`);
  }
  return ps as [number, number, number];
}

/**
 * Prepares the three databases as their operators would after exchanging key
 * thumbprints out of band: here one person holds all three key sets, so the pins
 * come straight from the local key files.
 */
export async function prepareDemo(sites: DemoSite[], dataDir: string, keysDir: string, token: string): Promise<void> {
  const publicKeys = new Map<string, { thumbprint: string; publicJwk: Record<string, unknown> }[]>();
  const currentKid = new Map<string, string>();
  for (const s of sites) {
    await generateSiteKeys(keysDir, s.id);
    const kr = await loadKeyring(keysDir, s.id);
    publicKeys.set(
      s.id,
      kr.valid().map((k) => ({ thumbprint: k.kid, publicJwk: { ...k.publicJwk } })),
    );
    currentKid.set(s.id, kr.current.kid);
  }
  const main = sites.find((s) => s.role === 'main')!;
  for (const s of sites) {
    const db = openDatabase(join(dataDir, `${s.id}.sqlite`));
    try {
      const def = s.role === 'main' ? MAIN_SITE : PARTNER_SITE;
      runMigrations(db, siteMigrations(def));
      const peers = new PeerStore(db);
      // Contracts go through the site's terms, as at start (a data folder from before slices is upgraded first).
      const terms = siteTerms(def);
      upgradeUnslicedContracts(db, peers, terms);
      const others = s.role === 'main' ? sites.filter((x) => x.role === 'partner') : [main];
      for (const o of others) {
        const keys = publicKeys.get(o.id)!;
        const existing = peers.get(o.id);
        if (!existing) {
          peers.add({ id: o.id, role: o.role, baseUrl: o.url, contract: o.role === 'partner' ? terms.initial(o.contract ?? {}) : undefined, ackedKid: currentKid.get(s.id)!, keys });
        } else {
          peers.setBaseUrl(o.id, o.url);
          peers.repin(o.id, keys);
          peers.setAckedKid(o.id, currentKid.get(s.id)!);
          // The demo's slices replace the stored ones; slices it does not set are left as they are.
          if (o.contract) peers.setContract(o.id, terms.patch(existing.contract, o.contract));
        }
      }
      if (s.localStock) new PartnerShopStore(db, s.id).stock.seed(Object.entries(s.localStock).map(([productId, initial]) => ({ productId, initial })));
      if (s.look) {
        const looks = new SyncStore(db);
        if (Object.keys(looks.overrides()).length === 0) looks.setOverrides(s.look);
      }
      if (s.role === 'main') {
        await prepareDemoParties(db);
        prepareDemoCounts(db);
        await prepareDemoAdvertiser(db);
        // Demo fee contracts, recorded once (an operator's later revisions are kept).
        const fees = new FeeStore(db);
        for (const o of others) {
          if (!fees.contract(o.id)) fees.addContract(o.id, JSON.stringify(parseFeeContract({ partner: o.id, ...DEMO_FEE_CONTRACTS[o.id] })), 'demo');
        }
      }
      const consoleStore = new ConsoleStore(db);
      const user = consoleStore.upsertUser(randomToken(12), s.user.username, await hashPassword(s.user.password), s.user.role);
      consoleStore.replaceToken(user.id, 'demo', sha256Hex(token));
    } finally {
      db.close();
    }
  }
}

/**
 * The demo supplier's portal account, created once with a known password, and
 * a welcome notice in the outbox: the main site delivers it to the demo
 * mailbox when it starts, and it shows in the supplier's portal inbox.
 */
async function prepareDemoParties(db: Db): Promise<void> {
  const parties = new PartyStore(db);
  const now = new Date().toISOString();
  for (const sup of DEMO_SUPPLIERS) {
    if (!parties.get(sup.id)) {
      parties.create({ ...sup, webhookUrl: null, createdAt: now, createdBy: 'demo' });
      parties.activate(sup.id, await hashPassword(DEMO_PASSWORDS.supplier), now);
    }
    new NoticeStore(db).insert({
      id: `ntc_demo_welcome_${sup.id.slice(-6)}`,
      dedupeKey: `demo:welcome:${sup.id}`,
      party: sup.id,
      recipientName: sup.displayName,
      email: sup.email,
      webhookUrl: null,
      kind: 'portal_welcome',
      subject: 'Welcome to the Tieup portal',
      text: `Hello ${sup.displayName},\n\nyour portal account is ready: log in at /portal with ${sup.email}.\nYour sales reports, statements and notices will appear there.`,
      html: null,
      data: null,
      redact: [],
      createdAt: now,
    });
  }
  // Recorded once, validated as the operator's API does (an operator's later versions are kept).
  const reconcile = new ReconcileStore(db);
  for (const raw of DEMO_SUPPLIER_CONTRACTS) {
    const c = supplierContract.parse(raw);
    if (reconcile.latestContract(c.supplier)) continue;
    reconcile.insertContract({ supplier: c.supplier, version: 1, effectiveFrom: c.effectiveFrom, contract: c, createdBy: 'demo', createdAt: now });
  }
}

/**
 * The demo's editable content lives in the data folder, never in the checkout:
 * copied there from the shipped examples on first start (an existing copy,
 * with the operator's edits, is kept), so following the README leaves
 * `git status` clean. Deleting data/demo starts over from the shipped content.
 */
export function demoFolders(dataDir: string, siteIds: string[]): { content: string; originals: Record<string, string> } {
  const seed = (from: string, to: string) => {
    if (!existsSync(to)) cpSync(from, to, { recursive: true });
    return to;
  };
  const base = join(dataDir, 'demo');
  const original = (id: string) => {
    const dir = seed(fromRoot('partner-site/demo-original', id), join(base, 'original', id));
    // A partner's own ads (docs/ads.md) join only the demo's copy: tests and benches serve
    // partner-site/demo-original/<id> as it is, and an ad there would log entries they do not expect.
    const ads = fromRoot('partner-site/demo-ads', id);
    if (existsSync(ads)) seed(ads, join(dir, 'ads'));
    return dir;
  };
  return {
    content: seed(fromRoot('main-site/demo-content'), join(base, 'content')),
    originals: Object.fromEntries(siteIds.map((id) => [id, original(id)])),
  };
}

/** The example commands the banner prints, with --url when the demo does not run on the default ports. */
export function bannerCommands(sites: DemoSite[], token: string): string[] {
  const main = sites[0]!;
  const north = sites[1]!;
  const url = main.url === 'http://127.0.0.1:3000' ? '' : ` --url ${main.url}`;
  return [
    // The README's walkthrough uses these variables, so it works as written on any ports.
    `  export TIEUP_DEMO_TOKEN=${token} MAIN=${main.url} NORTH=${north.url} SOUTH=${sites[2]!.url}`,
    `  curl -s ${north.url}/.well-known/jwks.json`,
    `  curl -s -X POST ${north.url}/s2s/hello          # 401: s2s calls need a signed token`,
    `  npx tieup partners check${url}`,
    `  npx tieup sync status${url}`,
  ];
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const r = await request(`${url}/healthz`, { headersTimeout: 1000 });
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

export async function runDemo(): Promise<void> {
  const host = '127.0.0.1';
  const ports = parsePorts(process.env.TIEUP_DEMO_PORTS);
  const dataDir = process.env.TIEUP_DATA_DIR ?? fromRoot('data');
  const keysDir = process.env.TIEUP_KEYS_DIR ?? fromRoot('keys');
  const tokenGiven = process.env.TIEUP_DEMO_TOKEN;
  if (tokenGiven !== undefined && !/^[A-Za-z0-9._~+/=-]{16,512}$/.test(tokenGiven)) {
    throw new CliError('TIEUP_DEMO_TOKEN must be 16-512 characters of letters, digits and ._~+/=-');
  }
  const token = tokenGiven ?? randomToken(24);
  const sites = demoSites(host, ports);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const folders = demoFolders(
    dataDir,
    sites.filter((s) => s.role === 'partner').map((s) => s.id),
  );
  const contentDir = process.env.TIEUP_DEMO_CONTENT_DIR || folders.content; // empty counts as unset, as for TIEUP_* keys

  console.log('Preparing the demo network (keys, databases, enrolment)...');
  await prepareDemo(sites, dataDir, keysDir, token);
  const planned = await prepareDemoPlanned({ mainUrl: sites[0]!.url, dataDir, keysDir, contentDir, templatesDir: fromRoot('templates') });
  const coordPeers = await prepareCoordDemo({ host, mainPort: ports[0], mainUrl: sites[0]!.url, partners: ['north', 'south'], dataDir, keysDir, token });
  let coordDemo: { stop(): Promise<void> } | undefined;
  // A real SMTP server on loopback receives the main site's notice e-mails; each is also kept as an .eml file.
  const mailDir = join(dataDir, 'demo-mail');
  let mailbox: Mailbox;
  try {
    mailbox = await startMailbox({ host, port: Number(process.env.TIEUP_DEMO_SMTP_PORT ?? 0), dir: mailDir });
  } catch (err) {
    throw new CliError(`the demo mailbox (SMTP) could not listen: ${(err as Error).message}. Set TIEUP_DEMO_SMTP_PORT to choose another port.`);
  }

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the demo network...');
    await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    await coordDemo?.stop();
    await mailbox.close();
    console.log('All sites stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const startSite = (s: DemoSite) => {
    const logFile = join(logDir, `${s.id}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const entry = fromRoot(s.role === 'main' ? 'dist/main-site/server.js' : 'dist/partner-site/server.js');
    const child = spawn(process.execPath, [entry], {
      env: {
        ...process.env,
        TIEUP_CONFIG: '',
        TIEUP_CONTENT_DIR: contentDir,
        TIEUP_TEMPLATES_DIR: fromRoot('templates'),
        TIEUP_ORIGINAL_DIR: folders.originals[s.id] ?? '',
        TIEUP_SITE_ID: s.id,
        TIEUP_HOST: host,
        TIEUP_PORT: String(s.port),
        TIEUP_PUBLIC_URL: s.url,
        TIEUP_DATA_DIR: dataDir,
        TIEUP_KEYS_DIR: keysDir,
        TIEUP_DB_FILE: '',
        // Partners start after the main site: its first scheduled pushes wait until each answers, instead of failing and retrying.
        ...(s.role === 'main' ? { TIEUP_PUSH_START_GRACE_SECONDS: '60' } : {}),
        ...(s.role === 'main' ? { TIEUP_SMTP_HOST: host, TIEUP_SMTP_PORT: String(mailbox.port), TIEUP_SMTP_SECURE: 'false', TIEUP_MAIL_FROM: 'Tieup main <notices@demo.test>' } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.on('data', (d: Buffer) => {
      log.write(d);
      process.stderr.write(`[${s.id}] ${d.toString()}`);
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`Site ${s.id} stopped unexpectedly (${signal ?? `exit code ${code}`}); see ${logFile}.`);
        void stopAll(1);
      }
    });
    children.set(s.id, child);
  };
  const started = async (group: DemoSite[]) =>
    Promise.all(
      group.map((s) =>
        waitHealthy(s.url, children.get(s.id)!, 20_000).catch((err: Error) => {
          throw new Error(`${s.id}: ${err.message}`);
        }),
      ),
    );
  // The main site first: partners then find it answering at once, so their first calls to it (stock, log shipping) do not fail with warnings while it starts.
  try {
    const mains = sites.filter((s) => s.role === 'main');
    mains.forEach(startSite);
    await started(mains);
    const partners = sites.filter((s) => s.role !== 'main');
    partners.forEach(startSite);
    await started(partners);
    coordDemo = await startCoordDemo(coordPeers, { host, dataDir, keysDir, logDir, onExit: (id) => void (console.error(`Peer ${id} stopped unexpectedly; see ${logDir}/${id}.log.`), stopAll(1)) });
  } catch (err) {
    console.error(`The demo network did not start: ${(err as Error).message}. Is a port in use? Set TIEUP_DEMO_PORTS to choose others.`);
    await stopAll(1);
    return;
  }

  const adLines = await setupDemoAds(sites[0]!.url, token).catch((err: Error) => [`  ads    not set up: ${err.message}`]);
  const rel = relative(process.cwd(), logDir) || logDir;
  const lines = [
    '',
    'Tieup demo network is running.',
    '',
    ...sites.map((s) => {
      const consolePath = s.role === 'main' ? '/admin' : '/manage';
      return `  ${s.id.padEnd(6)} ${s.url.padEnd(24)} console ${(s.url + consolePath).padEnd(32)} login ${s.user.username} / ${s.user.password}   (${s.note})`;
    }),
    '',
    `  API bearer token (operator and managers): ${token}${tokenGiven ? '   (from TIEUP_DEMO_TOKEN)' : ''}`,
    '',
    ...DEMO_SUPPLIERS.map(
      (sup, i) =>
        `  ${i === 0 ? 'portal' : '      '} ${(sites[0]!.url + '/portal').padEnd(24)} login ${sup.email} / ${DEMO_PASSWORDS.supplier}   (${sup.displayName}, supplier ${sup.id} of ${sup === DEMO_SUPPLIER ? 'trail-guide' : 'weather-letter, summit-bets'})`,
    ),
    ...adLines,
    `  mail   smtp://${host}:${mailbox.port}   every notice e-mail the main site sends lands here; each is saved in ${relative(process.cwd(), mailDir) || mailDir}/*.eml`,
    `         Outbox: ${sites[0]!.url}/admin/notices   Parties (invite more): ${sites[0]!.url}/admin/parties`,
    '',
    `Tie-up pages: edit ${relative(process.cwd(), join(contentDir, 'pages', 'about.md'))} and save. Within 30 seconds`,
    `north shows it at ${sites[1]!.url}/about; south lists it for approval at ${sites[2]!.url}/manage/sync.`,
    `South shows no tie-up page (paid items, planned pages, /products) until its manager approves its first release there.`,
    `Sync status: ${sites[0]!.url}/admin/sync   Access logs: ${sites[0]!.url}/admin/logs   Fees: ${sites[0]!.url}/admin/fees`,
    '',
    `Paid content: ${sites[1]!.url}/paid/trail-guide (per access, north only), ${sites[2]!.url}/paid/weather-letter (monthly subscription);`,
    `sales reports at ${sites[0]!.url}/portal/sales/ (suppliers), ${sites[0]!.url}/admin/paid/reports; reconciliation ${sites[0]!.url}/admin/paid/reconciliations.`,
    '',
    ...demoCountsLines(sites[0]!.url, sites[1]!.url),
    '',
    `Shop: ${sites[1]!.url}/shop (north entrusts every order to the main site); ${sites[2]!.url}/shop (south sells kitchen goods`,
    `from its own stock, consults the main site on shelter, entrusts the rest). Register a shopper on any site; one account works`,
    `everywhere. Orders: ${sites[0]!.url}/admin/orders, ${sites[1]!.url}/manage/orders, ${sites[2]!.url}/manage/orders.`,
    '',
    ...plannedBannerLines(sites[0]!.url, sites[2]!.url, planned),
    ...coordBanner(coordPeers, { main: sites[0]!.url, north: sites[1]!.url }),
    '',
    "Try (the export line sets what the README's commands use):",
    ...bannerCommands(sites, token),
    '',
    `Logs (one JSON line per event): ${rel}/*.log`,
    'Ctrl-C stops every site of the demo.',
    '',
  ];
  console.log(lines.join('\n'));
}
