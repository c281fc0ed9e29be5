// Child process of bench/push.ts: N partner sites in one process, each with its
// own database, blob folder and port, enrolled with the main site from key files.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadNetworkConfig } from '../cli/network-config.js';
import { loadKeyring } from '../common/keys/keystore.js';
import { startPartnerSite, type RunningPartner } from '../partner-site/server.js';

const dir = process.env.FARM_DIR!;
const ids = process.env.FARM_IDS!.split(',');
const mainUrl = process.env.FARM_MAIN_URL!;
const keysDir = join(dir, 'keys');
const mainKeys = await loadKeyring(keysDir, 'main');
const sites: RunningPartner[] = [];
for (const id of ids) {
  mkdirSync(join(dir, 'original', id), { recursive: true });
  const cfg = loadNetworkConfig('partner', {}, { siteId: id, port: 0, dataDir: join(dir, 'data'), keysDir, logLevel: 'warn', originalDir: join(dir, 'original', id) });
  const site = await startPartnerSite(cfg, { defaultMetrics: false });
  const partnerKeys = await loadKeyring(keysDir, id);
  site.ctx.peers.add({ id: 'main', role: 'main', baseUrl: mainUrl, ackedKid: partnerKeys.current.kid, keys: [{ thumbprint: mainKeys.current.kid, publicJwk: { ...mainKeys.current.publicJwk } }] });
  sites.push(site);
}
process.send?.({ urls: Object.fromEntries(sites.map((s) => [s.ctx.config.siteId, s.url])) });
process.on('SIGTERM', () => {
  void Promise.all(sites.map((s) => s.close())).then(() => process.exit(0));
});
