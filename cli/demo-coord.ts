import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SupplyService, SupplyStore, type SupplyProfileInput } from '../common/coord/net/index.js';
import { generateSiteKeys, loadKeyring } from '../common/keys/keystore.js';
import { createLogger } from '../common/logger.js';
import { fromRoot } from '../common/paths.js';
import { siteMigrations, siteTerms, type SiteDefinition } from '../common/site/host.js';
import { ConsoleStore } from '../common/store/console-store.js';
import { PeerStore } from '../common/store/peer-store.js';
import { openDatabase, runMigrations, type Db } from '../common/store/sqlite.js';
import { hashPassword } from '../common/web/password.js';
import { randomToken, sha256Hex } from '../common/web/tokens.js';
import { CliError } from '../common/cli/command.js';
import { EMPTY_CONTRACT } from '../common/contract/terms.js';
import { CoordStore } from '../main-site/coord/coord-store.js';
import { MAIN_SITE } from '../main-site/server.js';
import { DELIVERY_SITE, SETTLEMENT_SITE, SUPPLIER_SITE } from '../partner-site/coord/peers/sites.js';
import { PARTNER_SITE } from '../partner-site/server.js';

/**
 * The coordination part of the demo (issue 17 item 7): a supplier-only site
 * (the grocer), the delivery service and the settlement agent, each a small
 * site enrolled at the main site like a partner; supply profiles for the main
 * site's central stock, north and south; the parties named at the main site.
 * The how-to pages (a recipe and a repair job) are in the demo content
 * (pages/howto/). Everything is written once; an operator's later changes are kept.
 */
export const COORD_DEMO_PASSWORD = 'tieup-demo-manager';

interface CoordPeer {
  id: string;
  kind: 'supplier' | 'delivery' | 'settlement';
  def: SiteDefinition;
  title: string;
  port: number;
  url: string;
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const shopOf = (id: string, name: string, address: string, readyInMinutes: number) => ({ id: 'pickup', method: 'pickup' as const, fee: eur(0), shop: { id, name, address }, readyInMinutes });
const delivery = (fee: number, readyInMinutes: number) => ({ id: 'delivery', method: 'delivery' as const, fee: eur(fee), readyInMinutes });
const good = (id: string, product: string, components: string[], quantity: number, unit: string, packLabel: string, price: number, stock = 40) => ({
  id,
  product,
  components,
  packSize: { quantity, unit },
  packLabel,
  price,
  stock,
});

/** What each demo supplier sells: no one has everything the recipe needs, so the cheapest plan uses two of them. */
export const DEMO_SUPPLY: Record<string, SupplyProfileInput> = {
  main: {
    name: 'Central stock',
    dispatch: { name: 'Tieup central warehouse', address: '5 Depot Way, Porttown' },
    currency: 'EUR',
    goods: [
      good('patch-kit', 'Tent repair patch kit', ['repair patch kit'], 1, 'each', 'kit', 790),
      good('sealer-28', 'Seam sealer, 28 ml tube', ['seam sealer'], 28, 'ml', 'tube', 690),
      good('ipa-250', 'Isopropyl alcohol, 250 ml', ['isopropyl alcohol'], 250, 'ml', 'bottle', 450),
      good('brush-s', 'Small brush', ['brush'], 1, 'each', 'brush', 150),
    ],
    fulfilment: [delivery(490, 24 * 60)],
    payments: ['electronic'],
    autoAccept: true,
  },
  north: {
    name: 'North Outfitters',
    dispatch: { name: 'North Outfitters', address: '1 Harbour Road, Porttown' },
    currency: 'EUR',
    goods: [
      good('flour-1kg', 'Stone-ground flour, 1 kg', ['flour'], 1, 'kg', 'bag', 189),
      good('butter-250', 'Butter, 250 g', ['butter'], 250, 'g', 'block', 239),
      good('patch-kit', 'Patch kit', ['repair patch kit'], 1, 'each', 'kit', 850),
    ],
    fulfilment: [shopOf('harbour', 'North Outfitters, harbour shop', '1 Harbour Road, Porttown', 30), delivery(350, 180)],
    payments: ['cash_on_delivery', 'electronic'],
    autoAccept: true,
  },
  south: {
    name: 'South Market',
    dispatch: { name: 'South Market, stall 14', address: 'Covered market, Porttown' },
    currency: 'EUR',
    goods: [good('flour-500', 'Flour, 500 g', ['flour'], 500, 'g', 'bag', 129), good('sugar-1kg', 'Sugar, 1 kg', ['sugar'], 1, 'kg', 'bag', 149)],
    fulfilment: [shopOf('stall-14', 'South Market, stall 14', 'Covered market, Porttown', 60)],
    payments: ['cash_on_delivery'],
    autoAccept: true,
  },
  grocer: {
    name: 'Corner Grocer',
    dispatch: { name: 'Corner Grocer', address: '22 Mill Street, Porttown' },
    currency: 'EUR',
    goods: [
      good('eggs-6', 'Free-range eggs, box of 6', ['eggs'], 6, 'each', 'box', 299),
      good('milk-1l', 'Whole milk, 1 l', ['milk'], 1, 'l', 'bottle', 119),
      good('oat-1l', 'Oat drink, 1 l', ['oat drink'], 1, 'l', 'carton', 199),
      good('butter-250', 'Butter, 250 g', ['butter'], 250, 'g', 'block', 269),
      good('sugar-500', 'Sugar, 500 g', ['sugar'], 500, 'g', 'bag', 99),
    ],
    fulfilment: [delivery(290, 90), shopOf('mill-street', 'Corner Grocer', '22 Mill Street, Porttown', 20)],
    payments: ['cash_on_delivery', 'electronic'],
    // The grocer answers each order from its console, so the demo shows both states.
    autoAccept: false,
  },
};

/** The peers' ports: TIEUP_DEMO_COORD_PORTS (three, e.g. 3003,3004,3005), else the three after the main site's port + 2. */
export function coordDemoPorts(mainPort: number, env: NodeJS.ProcessEnv = process.env): [number, number, number] {
  const v = env.TIEUP_DEMO_COORD_PORTS;
  if (!v) return [mainPort + 3, mainPort + 4, mainPort + 5];
  const ps = v.split(',').map((x) => Number(x.trim()));
  if (ps.length !== 3 || ps.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new CliError(`TIEUP_DEMO_COORD_PORTS must be three ports, e.g. 3003,3004,3005 (got "${v}")`);
  return ps as [number, number, number];
}

/** The preferred port when it is free on this host, else one the OS picks (so moved demo ports never collide). */
async function portNear(host: string, preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, host, () => {
        const a = srv.address();
        const got = typeof a === 'object' && a ? a.port : null;
        srv.close(() => resolve(got));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

export async function coordDemoPeers(host: string, mainPort: number): Promise<CoordPeer[]> {
  const url = (p: number) => `http://${host}:${p}`;
  const given = process.env.TIEUP_DEMO_COORD_PORTS !== undefined && process.env.TIEUP_DEMO_COORD_PORTS !== '';
  const wanted = coordDemoPorts(mainPort);
  // Ports given explicitly are used as given (a clash then fails loudly at start); the defaults step aside when taken.
  const [g, d, s] = given ? wanted : [await portNear(host, wanted[0]), await portNear(host, wanted[1]), await portNear(host, wanted[2])];
  return [
    { id: 'grocer', kind: 'supplier', def: SUPPLIER_SITE, title: 'Corner Grocer (supplier-only site)', port: g, url: url(g) },
    { id: 'courier', kind: 'delivery', def: DELIVERY_SITE, title: 'delivery service', port: d, url: url(d) },
    { id: 'payagent', kind: 'settlement', def: SETTLEMENT_SITE, title: 'settlement agent', port: s, url: url(s) },
  ];
}

const setProfileOnce = (db: Db, p: SupplyProfileInput) => {
  const supply = new SupplyService(new SupplyStore(db), createLogger('demo', 'silent'));
  if (!supply.profile()) supply.setProfile(p);
};

/** Keys, databases, enrolment both ways, parties and supply profiles for the coordination demo. */
export async function prepareCoordDemo(o: { host: string; mainPort: number; mainUrl: string; partners: string[]; dataDir: string; keysDir: string; token: string }): Promise<CoordPeer[]> {
  const peers = await coordDemoPeers(o.host, o.mainPort);
  const keysOf = async (id: string) => {
    await generateSiteKeys(o.keysDir, id);
    const kr = await loadKeyring(o.keysDir, id);
    return { current: kr.current.kid, keys: kr.valid().map((k) => ({ thumbprint: k.kid, publicJwk: { ...k.publicJwk } })) };
  };
  const main = await keysOf('main');
  const mainDb = openDatabase(join(o.dataDir, 'main.sqlite'));
  try {
    runMigrations(mainDb, siteMigrations(MAIN_SITE));
    const store = new PeerStore(mainDb);
    const terms = siteTerms(MAIN_SITE);
    const coord = new CoordStore(mainDb);
    // Enrolled without contract terms: a coordination peer carries no tie-up pages and has no shop, users or news arrangement,
    // so no slice applies (each slice's whenAbsent): it is no push target, and the sync page does not offer it one.
    const defaultsOnly = JSON.stringify(terms.initial({}));
    for (const p of peers) {
      const k = await keysOf(p.id);
      const existing = store.get(p.id);
      if (!existing) store.add({ id: p.id, role: 'partner', baseUrl: p.url, displayName: p.title, ackedKid: main.current, keys: k.keys });
      else {
        store.setBaseUrl(p.id, p.url);
        store.repin(p.id, k.keys);
        // A demo data folder from before: the peer was given every slice's defaults (and showed as a content partner). An operator's own terms are kept.
        if (JSON.stringify(existing.contract) === defaultsOnly) store.setContract(p.id, EMPTY_CONTRACT);
      }
      if (!coord.parties().some((x) => x.peerId === p.id)) coord.setParty(p.id, p.kind, 'demo');
    }
    for (const id of o.partners) if (!coord.parties().some((x) => x.peerId === id)) coord.setParty(id, 'supplier', 'demo');
    // The names the suppliers give themselves in their quotes, known before the first quote (the shopper's pages name suppliers, never ids).
    for (const p of coord.parties()) if (p.kind === 'supplier' && p.name === null && DEMO_SUPPLY[p.peerId]) coord.setPartyName(p.peerId, DEMO_SUPPLY[p.peerId]!.name);
    setProfileOnce(mainDb, DEMO_SUPPLY.main!);
  } finally {
    mainDb.close();
  }
  for (const id of o.partners) {
    const db = openDatabase(join(o.dataDir, `${id}.sqlite`));
    try {
      runMigrations(db, siteMigrations(PARTNER_SITE));
      const profile = DEMO_SUPPLY[id];
      if (profile) setProfileOnce(db, profile);
    } finally {
      db.close();
    }
  }
  for (const p of peers) {
    const db = openDatabase(join(o.dataDir, `${p.id}.sqlite`));
    try {
      runMigrations(db, siteMigrations(p.def));
      const k = await keysOf(p.id);
      const store = new PeerStore(db);
      if (!store.get('main')) store.add({ id: 'main', role: 'main', baseUrl: o.mainUrl, ackedKid: k.current, keys: main.keys });
      else {
        store.setBaseUrl('main', o.mainUrl);
        store.repin('main', main.keys);
      }
      const profile = DEMO_SUPPLY[p.id];
      if (profile) setProfileOnce(db, profile);
      const consoleStore = new ConsoleStore(db);
      const user = consoleStore.upsertUser(randomToken(12), 'manager', await hashPassword(COORD_DEMO_PASSWORD), 'manager');
      consoleStore.replaceToken(user.id, 'demo', sha256Hex(o.token));
    } finally {
      db.close();
    }
  }
  return peers;
}

/** Starts the coordination peers as child processes (after the main site), each logging to <logDir>/<id>.log. */
export async function startCoordDemo(peers: CoordPeer[], o: { host: string; dataDir: string; keysDir: string; logDir: string; onExit: (id: string) => void }): Promise<{ stop(): Promise<void> }> {
  const children: ChildProcess[] = [];
  let stopping = false;
  for (const p of peers) {
    const log = createWriteStream(join(o.logDir, `${p.id}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [fromRoot('dist/partner-site/coord/peers/server.js')], {
      env: {
        ...process.env,
        TIEUP_CONFIG: '',
        TIEUP_COORD_PEER: p.kind,
        TIEUP_SITE_ID: p.id,
        TIEUP_HOST: o.host,
        TIEUP_PORT: String(p.port),
        TIEUP_PUBLIC_URL: p.url,
        TIEUP_DATA_DIR: o.dataDir,
        TIEUP_KEYS_DIR: o.keysDir,
        TIEUP_DB_FILE: '',
        TIEUP_ORIGINAL_DIR: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.on('data', (d: Buffer) => {
      log.write(d);
      process.stderr.write(`[${p.id}] ${d.toString()}`);
    });
    child.on('exit', () => {
      if (!stopping) o.onExit(p.id);
    });
    children.push(child);
  }
  for (const p of peers) {
    const end = Date.now() + 20_000;
    for (;;) {
      try {
        const r = await request(`${p.url}/healthz`, { headersTimeout: 1000 });
        await r.body.dump();
        if (r.statusCode === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`${p.id} did not answer ${p.url}/healthz within 20 s`);
      await sleep(100);
    }
  }
  return {
    async stop() {
      stopping = true;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** The banner's coordination lines. */
export function coordBanner(peers: CoordPeer[], urls: { main: string; north: string }): string[] {
  return [
    `Coordination: ${urls.north}/howto/campfire-pancakes (a recipe) and ${urls.main}/howto/patch-a-tent (a repair job): "Get the components"`,
    `asks the central stock, north, south and the grocer at once and plans by your priorities. Orders: ${urls.main}/admin/coord (what each party was sent).`,
    ...peers.map((p) => `  ${p.id.padEnd(8)} ${p.url.padEnd(24)} console ${(p.url + '/manage').padEnd(30)} login manager / ${COORD_DEMO_PASSWORD}   (${p.title})`),
  ];
}
