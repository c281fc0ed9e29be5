import type { BundleHeader, BundleKey } from '../../common/logchain/audit.js';
import { thumbprintOf } from '../../common/logchain/audit.js';
import { logOrigin, witnessName } from '../../common/logchain/note.js';
import type { SiteContext } from '../../common/site/context.js';
import type { Witness } from './witness.js';
import { logsErrors } from './errors.js';

export interface ExportOptions {
  from?: string | null;
  to?: string | null;
  withContract?: boolean;
}

const timeOf = (line: string): string => {
  const m = /"time":"([^"]+)"/.exec(line);
  return m ? m[1]! : '';
};

/**
 * Writes an audit bundle (see common/logchain/audit.ts for the format) for a
 * partner's log as witnessed here, or for this site's own log. Entries outside
 * [from, to) travel as leaf hashes only, so the roots can still be checked.
 */
export async function* exportBundle(ctx: SiteContext, witness: Witness, site: string, o: ExportOptions, feeContract?: unknown): AsyncGenerator<string> {
  const own = site === ctx.config.siteId;
  const peer = own ? undefined : ctx.peers.get(site);
  if (!own && (!peer || peer.role !== 'partner')) throw logsErrors.site_not_found(`no log for site "${site}"`);

  const keys: BundleKey[] = [];
  const addKey = async (name: string, role: 'log' | 'witness', keySite: string, x: string) => {
    if (!keys.some((k) => k.jwk.x === x && k.role === role)) keys.push({ name, role, site: keySite, thumbprint: await thumbprintOf(x), jwk: { kty: 'OKP', crv: 'Ed25519', x } });
  };
  const checkpoints = own
    ? ctx.logStore.checkpoints().map((c) => ({ note: c.note, cosignatures: [] as string[], signerX: c.signerX, size: c.size }))
    : witness.store.checkpoints(site).map((c) => ({ note: c.note, cosignatures: [c.cosignature], signerX: c.signerX, size: c.size }));
  for (const c of checkpoints) await addKey(logOrigin(site), 'log', site, c.signerX);
  if (peer) for (const k of ctx.peers.keys(site)) await addKey(logOrigin(site), 'log', site, String(k.publicJwk.x));
  if (!own) for (const k of ctx.keyring().valid()) await addKey(witnessName(ctx.config.siteId), 'witness', ctx.config.siteId, k.publicJwk.x);

  const header: BundleHeader = {
    bundle: 'tieup-audit',
    version: 1,
    site,
    origin: logOrigin(site),
    exportedAt: new Date().toISOString(),
    range: o.from || o.to ? { from: o.from ?? null, to: o.to ?? null } : null,
    keys,
    ...(o.withContract && peer ? { contracts: [{ partner: site, recordedAt: peer.updatedAt, contract: peer.contract, ...(feeContract ? { fees: feeContract } : {}) }] } : {}),
  };
  yield JSON.stringify(header) + '\n';
  for (const c of checkpoints) yield JSON.stringify({ checkpoint: c.note, cosignatures: c.cosignatures }) + '\n';

  const size = own ? ctx.log.size : (witness.store.latestCheckpoint(site)?.size ?? 0);
  const CHUNK = 5000;
  for (let start = 0; start < size; start += CHUNK) {
    const end = Math.min(size, start + CHUNK);
    const rows = own ? ctx.logStore.lines(start, end).map((line, i) => ({ index: start + i, line, leaf: null as Buffer | null })) : witness.store.entries(site, start, end);
    let out = '';
    for (const r of rows) {
      const t = o.from || o.to ? timeOf(r.line) : '';
      const inRange = (!o.from || t >= o.from) && (!o.to || t < o.to);
      if (inRange) out += r.line + '\n';
      else out += JSON.stringify({ index: r.index, leaf: (r.leaf ?? ctx.log.leaf(r.index)).toString('hex') }) + '\n';
    }
    yield out;
  }
}
