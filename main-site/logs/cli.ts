import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, type Flags } from '../../common/cli/command.js';
import type { VerifyKey } from '../../common/logchain/audit.js';

// The verifier and the Merkle proofs are imported when a command runs, not when the CLI starts.
const audit = () => import('../../common/logchain/audit.js');

async function readKeys(files: string[]): Promise<VerifyKey[]> {
  const docs: unknown[] = [];
  for (const f of files) {
    try {
      docs.push(JSON.parse(readFileSync(f, 'utf8')));
    } catch (err) {
      throw new CliError(`cannot read --keys ${f}: ${(err as Error).message}`, 2);
    }
  }
  const keys = (await audit()).keysFromJwks(docs);
  if (files.length && keys.length === 0) throw new CliError('the --keys files hold no Ed25519 public key', 2);
  return keys;
}

async function readBundle(file: string | undefined): Promise<Buffer> {
  if (!file) throw new CliError('name the bundle file', 2);
  const { readBundleFile } = await audit();
  try {
    return readBundleFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

const keyFilesOf = (flags: Flags) => (flags.keys as string[] | undefined) ?? [];

/**
 * Audit bundles: export one from the main site, and verify it, prove from it
 * and check proofs offline, trusting neither operator.
 */
export const logsCli = defineCommands('Audit (export against the main site; the rest offline):', [
  {
    name: 'audit export',
    usage: '--site <id> [--from <ISO>] [--to <ISO>] [--with-contract] --out <file>',
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      site: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'with-contract': { type: 'boolean' },
      out: { type: 'string' },
    },
    async run(flags, _args, io) {
      const url = urlOf(flags);
      const token = tokenOf(flags);
      if (!token) throw new CliError('no API token: pass --token, or set TIEUP_TOKEN (or TIEUP_DEMO_TOKEN for the demo)', 2);
      const site = flags.site;
      const out = flags.out;
      if (typeof site !== 'string' || typeof out !== 'string') throw new CliError('usage: tieup audit export --site <id> [--from <ISO time>] [--to <ISO time>] [--with-contract] --out <file>', 2);
      const q = new URLSearchParams();
      if (typeof flags.from === 'string') q.set('from', flags.from);
      if (typeof flags.to === 'string') q.set('to', flags.to);
      if (flags['with-contract']) q.set('withContract', '1');
      const { request } = await import('undici');
      let res;
      try {
        res = await request(`${url.replace(/\/+$/, '')}/admin/api/logs/${encodeURIComponent(site)}/bundle?${q}`, {
          headers: { authorization: `Bearer ${token}` },
          headersTimeout: 60_000,
          bodyTimeout: 600_000,
        });
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
      io.out(`wrote ${out}: ${lines} lines (header, checkpoints, entries) for site ${site}`);
      return 0;
    },
  },
  {
    name: 'audit verify',
    usage: '<file> [--keys <jwks.json>]...',
    summary: 'recompute leaves, chain, roots, signatures;\nexit 0, or 10 altered, 11 missing, 12 reordered,\n13 truncated, 14 fork, 15 bad signature,\n16 unknown key, 17 no checkpoint, 18 malformed',
    options: { keys: { type: 'string', multiple: true } },
    args: 1,
    async run(flags, [file], io) {
      const { verifyBundle, EXIT_CODES } = await audit();
      const r = verifyBundle(await readBundle(file), await readKeys(keyFilesOf(flags)));
      for (const w of r.warnings) io.err(`warning: ${w}`);
      if (r.ok) {
        io.out(r.message);
        io.out(`site ${r.summary.site}, root at size ${r.summary.largestSignedSize}: ${r.summary.root ?? '(empty)'}`);
        return 0;
      }
      io.err(`FAILED: ${r.reason}${r.at ? ` at ${r.at}` : ''}: ${r.message}`);
      return EXIT_CODES[r.reason!];
    },
  },
  {
    name: 'audit prove',
    usage: ['--file <bundle> --index <n> [--size <n>]', '--file <bundle> --from <size> [--size <n>]'],
    summary: 'an inclusion proof (--index) or a consistency\nproof (--from), as JSON',
    options: { file: { type: 'string' }, index: { type: 'string' }, from: { type: 'string' }, size: { type: 'string' }, to: { type: 'string' }, keys: { type: 'string', multiple: true } },
    async run(flags, _args, io) {
      const { verifyBundle, EXIT_CODES } = await audit();
      const r = verifyBundle(await readBundle(flags.file as string | undefined), await readKeys(keyFilesOf(flags)));
      if (!r.ok || !r.tree) {
        io.err(`the bundle does not verify (${r.reason}: ${r.message}); no proof from it`);
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
        io.out(
          JSON.stringify(
            {
              type: 'inclusion',
              site: r.summary.site,
              index,
              size,
              leaf: tree.leaf(index).toString('hex'),
              root: tree.root(size).toString('hex'),
              signedCheckpoint: !!cp,
              proof: proof.map((h) => h.toString('hex')),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      if (typeof flags.from === 'string') {
        const from = Number(flags.from);
        if (!Number.isSafeInteger(from) || from < 1 || from > size) throw new CliError(`--from must be between 1 and ${size}`, 2);
        const proof = tree.consistencyProof(from, size);
        io.out(
          JSON.stringify(
            {
              type: 'consistency',
              site: r.summary.site,
              from,
              to: size,
              oldRoot: tree.root(from).toString('hex'),
              newRoot: tree.root(size).toString('hex'),
              proof: proof.map((h) => h.toString('hex')),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      throw new CliError('usage: tieup audit prove --file <bundle> (--index <n> | --from <size>) [--size <n>]', 2);
    },
  },
  {
    name: 'audit verify-proof',
    usage: '<proof.json>',
    summary: 'check a proof offline',
    args: 1,
    async run(_flags, [file], io) {
      let p: Record<string, unknown>;
      try {
        p = JSON.parse((await readBundle(file)).toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new CliError('the proof file is not JSON', 2);
      }
      const { verifyConsistency, verifyInclusion } = await import('../../common/logchain/merkle.js');
      const hex = (v: unknown) => Buffer.from(typeof v === 'string' ? v : '', 'hex');
      const proof = Array.isArray(p.proof) ? p.proof.map(hex) : [];
      let ok = false;
      if (p.type === 'inclusion') ok = verifyInclusion(hex(p.leaf), Number(p.index), Number(p.size), proof, hex(p.root));
      else if (p.type === 'consistency') ok = verifyConsistency(Number(p.from), Number(p.to), hex(p.oldRoot), hex(p.newRoot), proof);
      else throw new CliError('the proof file must have type "inclusion" or "consistency"', 2);
      io.out(ok ? `ok: the ${p.type} proof verifies (${proof.length} hashes)` : `FAILED: the ${p.type} proof does not verify`);
      return ok ? 0 : 1;
    },
  },
]);
