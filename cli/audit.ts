import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'undici';
import { EXIT_CODES, keysFromJwks, readBundleFile, verifyBundle, type VerifyKey } from '../common/logchain/audit.js';
import { verifyConsistency, verifyInclusion } from '../common/logchain/merkle.js';
import { CliError } from './http.js';

type Flags = Record<string, string | boolean | string[] | undefined>;

export async function auditExport(url: string, token: string | undefined, flags: Flags): Promise<number> {
  if (!token) throw new CliError('no API token: pass --token, or set TIEUP_TOKEN (or TIEUP_DEMO_TOKEN for the demo)', 2);
  const site = flags.site;
  const out = flags.out;
  if (typeof site !== 'string' || typeof out !== 'string') throw new CliError('usage: tieup audit export --site <id> [--from <ISO time>] [--to <ISO time>] [--with-contract] --out <file>', 2);
  const q = new URLSearchParams();
  if (typeof flags.from === 'string') q.set('from', flags.from);
  if (typeof flags.to === 'string') q.set('to', flags.to);
  if (flags['with-contract']) q.set('withContract', '1');
  let res;
  try {
    res = await request(`${url.replace(/\/+$/, '')}/admin/api/logs/${encodeURIComponent(site)}/bundle?${q}`, { headers: { authorization: `Bearer ${token}` }, headersTimeout: 60_000, bodyTimeout: 600_000 });
  } catch (err) {
    throw new CliError(`cannot reach ${url}: ${(err as Error).message}`);
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new CliError(`export failed (${res.statusCode}): ${text}`);
  }
  const file = createWriteStream(out);
  let lines = 0;
  for await (const chunk of res.body) {
    lines += (chunk as Buffer).toString('utf8').split('\n').length - 1;
    if (!file.write(chunk)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  console.log(`wrote ${out}: ${lines} lines (header, checkpoints, entries) for site ${site}`);
  return 0;
}

function readKeys(files: string[]): VerifyKey[] {
  const docs: unknown[] = [];
  for (const f of files) {
    try {
      docs.push(JSON.parse(readFileSync(f, 'utf8')));
    } catch (err) {
      throw new CliError(`cannot read --keys ${f}: ${(err as Error).message}`, 2);
    }
  }
  const keys = keysFromJwks(docs);
  if (files.length && keys.length === 0) throw new CliError('the --keys files hold no Ed25519 public key', 2);
  return keys;
}

function readBundle(file: string | undefined): Buffer {
  if (!file) throw new CliError('name the bundle file', 2);
  try {
    return readBundleFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

export function auditVerify(file: string | undefined, flags: Flags): number {
  const keyFiles = (flags.keys as string[] | undefined) ?? [];
  const r = verifyBundle(readBundle(file), readKeys(keyFiles));
  for (const w of r.warnings) console.error(`warning: ${w}`);
  if (r.ok) {
    console.log(r.message);
    console.log(`site ${r.summary.site}, root at size ${r.summary.largestSignedSize}: ${r.summary.root ?? '(empty)'}`);
    return 0;
  }
  console.error(`FAILED: ${r.reason}${r.at ? ` at ${r.at}` : ''}: ${r.message}`);
  return EXIT_CODES[r.reason!];
}

export function auditProve(flags: Flags): number {
  const keyFiles = (flags.keys as string[] | undefined) ?? [];
  const r = verifyBundle(readBundle(flags.file as string | undefined), readKeys(keyFiles));
  if (!r.ok || !r.tree) {
    console.error(`the bundle does not verify (${r.reason}: ${r.message}); no proof from it`);
    return EXIT_CODES[r.reason ?? 'malformed_bundle'];
  }
  const tree = r.tree;
  const defaultSize = r.summary.largestCosignedSize || r.summary.largestSignedSize;
  const size = typeof flags.size === 'string' ? Number(flags.size) : typeof flags.to === 'string' ? Number(flags.to) : defaultSize;
  if (!Number.isSafeInteger(size) || size < 1 || size > tree.size) throw new CliError(`--size must be between 1 and ${tree.size}`, 2);
  const cp = r.checkpoints!.find((c) => c.size === size);
  if (typeof flags.index === 'string') {
    const index = Number(flags.index);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new CliError(`--index must be between 0 and ${size - 1}`, 2);
    const proof = tree.inclusionProof(index, size);
    console.log(JSON.stringify({ type: 'inclusion', site: r.summary.site, index, size, leaf: tree.leaf(index).toString('hex'), root: tree.root(size).toString('hex'), signedCheckpoint: !!cp, proof: proof.map((h) => h.toString('hex')) }, null, 2));
    return 0;
  }
  if (typeof flags.from === 'string') {
    const from = Number(flags.from);
    if (!Number.isSafeInteger(from) || from < 1 || from > size) throw new CliError(`--from must be between 1 and ${size}`, 2);
    const proof = tree.consistencyProof(from, size);
    console.log(JSON.stringify({ type: 'consistency', site: r.summary.site, from, to: size, oldRoot: tree.root(from).toString('hex'), newRoot: tree.root(size).toString('hex'), proof: proof.map((h) => h.toString('hex')) }, null, 2));
    return 0;
  }
  throw new CliError('usage: tieup audit prove --file <bundle> (--index <n> | --from <size>) [--size <n>]', 2);
}

export function auditVerifyProof(file: string | undefined): number {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(readBundle(file).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CliError('the proof file is not JSON', 2);
  }
  const hex = (v: unknown) => Buffer.from(typeof v === 'string' ? v : '', 'hex');
  const proof = Array.isArray(p.proof) ? p.proof.map(hex) : [];
  let ok = false;
  if (p.type === 'inclusion') ok = verifyInclusion(hex(p.leaf), Number(p.index), Number(p.size), proof, hex(p.root));
  else if (p.type === 'consistency') ok = verifyConsistency(Number(p.from), Number(p.to), hex(p.oldRoot), hex(p.newRoot), proof);
  else throw new CliError('the proof file must have type "inclusion" or "consistency"', 2);
  console.log(ok ? `ok: the ${p.type} proof verifies (${proof.length} hashes)` : `FAILED: the ${p.type} proof does not verify`);
  return ok ? 0 : 1;
}
