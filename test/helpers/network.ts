import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SiteConfig, type SiteConfigInput } from '../../common/config.js';
import { loadNetworkConfig } from '../../cli/network-config.js';
import { generateSiteKeys, loadKeyring } from '../../common/keys/keystore.js';
import type { RunningSite } from '../../common/site/runner.js';
import { hashPassword } from '../../common/web/password.js';
import { sha256Hex } from '../../common/web/tokens.js';
import { startMainSite, type RunningMain } from '../../main-site/server.js';
import { startPartnerSite, type RunningPartner } from '../../partner-site/server.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';
export const TEST_PASSWORD = 'correct horse battery';

export function tempDir(prefix = 'tieup-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function siteConfig(role: 'main' | 'partner', siteId: string, dir: string, extra: Partial<SiteConfigInput> = {}): SiteConfig {
  return loadNetworkConfig(role, {}, { siteId, port: 0, dataDir: join(dir, 'data'), keysDir: join(dir, 'keys'), logLevel: 'silent', ...extra });
}

/** Starts one site on an ephemeral loopback port; the public URL is set to the real port. */
export async function startSite(role: 'main', siteId: string, dir: string, extra?: Partial<SiteConfigInput>, watchContent?: boolean): Promise<RunningMain>;
export async function startSite(role: 'partner', siteId: string, dir: string, extra?: Partial<SiteConfigInput>, watchContent?: boolean): Promise<RunningPartner>;
export async function startSite(role: 'main' | 'partner', siteId: string, dir: string, extra: Partial<SiteConfigInput> = {}, watchContent = false): Promise<RunningMain | RunningPartner> {
  await generateSiteKeys(join(dir, 'keys'), siteId);
  const cfg = siteConfig(role, siteId, dir, extra);
  const site = role === 'main' ? await startMainSite(cfg, { defaultMetrics: false, watchContent }) : await startPartnerSite(cfg, { defaultMetrics: false });
  site.ctx.config.publicUrl = site.url;
  const user = site.ctx.consoleStore.upsertUser(`u-${siteId}`, role === 'main' ? 'operator' : 'manager', await hashPassword(TEST_PASSWORD), role === 'main' ? 'operator' : 'manager');
  site.ctx.consoleStore.replaceToken(user.id, 'test', sha256Hex(TEST_TOKEN));
  return site;
}

export async function publicKeysOf(dir: string, siteId: string) {
  const kr = await loadKeyring(join(dir, 'keys'), siteId);
  return kr.valid().map((k) => ({ thumbprint: k.kid, publicJwk: { ...k.publicJwk } }));
}

/**
 * Enrols a and b with each other, pinning keys from their key files (as operators would out of band).
 * The contract is given by capability ({ sync: {...}, shop: {...} }) and written as the main site's
 * enrolment writes it: every slice checked, those not given from their defaults.
 */
export async function enrolPair(dir: string, main: RunningSite, partner: RunningSite, contract: Record<string, unknown> = {}): Promise<void> {
  main.ctx.peers.add({
    id: partner.ctx.config.siteId,
    role: 'partner',
    baseUrl: partner.url,
    contract: main.ctx.terms.initial(contract),
    ackedKid: main.ctx.keyring().current.kid,
    keys: await publicKeysOf(dir, partner.ctx.config.siteId),
  });
  partner.ctx.peers.add({ id: main.ctx.config.siteId, role: 'main', baseUrl: main.url, ackedKid: partner.ctx.keyring().current.kid, keys: await publicKeysOf(dir, main.ctx.config.siteId) });
}

export interface TestNetwork {
  dir: string;
  main: RunningMain;
  partners: Record<string, RunningPartner>;
  close(): Promise<void>;
}

export async function startNetwork(partnerIds: string[] = ['north'], extra: Partial<SiteConfigInput> = {}): Promise<TestNetwork> {
  const dir = tempDir();
  const main = await startSite('main', 'main', dir, extra);
  const partners: Record<string, RunningPartner> = {};
  for (const id of partnerIds) {
    partners[id] = await startSite('partner', id, dir, extra);
    await enrolPair(dir, main, partners[id]);
  }
  return {
    dir,
    main,
    partners,
    async close() {
      await Promise.all([main, ...Object.values(partners)].map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
