import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { apiCall, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands } from '../../common/cli/command.js';
import { TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from '../../common/logchain/trust.js';

// The verifier and the Merkle proofs are imported when a command runs, not when the CLI starts.
const audit = () => import('../../common/logchain/audit.js');

async function readBundle(file: string | undefined): Promise<Buffer> {
  if (!file) throw new CliError('name the bundle file', 2);
  const { readBundleFile } = await audit();
  try {
    return readBundleFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

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
    usage: `<file> ${TRUST_USAGE}`,
    summary:
      "recompute leaves, chain, roots, signatures against keys bound to\nthe log's site and its witness; exit 0, or 10 altered, 11 missing,\n12 reordered, 13 truncated, 14 fork, 15 bad signature, 16 unknown key,\n17 no checkpoint, 18 malformed, 19 signed by the witness, 20 signed by\nanother site, 21 cosigned by a non-witness, 22 entry of another site,\n23 uncosigned, 24 entries past the last checkpoint, 25 one key in two roles",
    options: TRUST_OPTIONS,
    args: 1,
    async run(flags, [file], io) {
      const { verifyBundle, EXIT_CODES } = await audit();
      const choice = trustFromFlags(flags);
      const r = verifyBundle(await readBundle(file), choice);
      for (const w of r.warnings) io.err(`warning: ${w}`);
      if (r.ok) {
        io.out(r.message);
        io.out(`site ${r.summary.site}, root at size ${r.summary.verifiedSize}: ${r.summary.root ?? '(empty)'}${r.warnings.length ? ' (see the warnings)' : ''}`);
        return 0;
      }
      if (r.reason === 'unverified_entries') {
        // A verified prefix, never "ok": its counts exclude the unverified tail.
        io.out(r.message);
        io.out(`site ${r.summary.site}, root at size ${r.summary.verifiedSize}: ${r.summary.root ?? '(empty)'}; ${r.summary.unverified} entries after it unverified`);
        return EXIT_CODES.unverified_entries;
      }
      io.err(`FAILED: ${r.reason}${r.at ? ` at ${r.at}` : ''}: ${r.message}`);
      return EXIT_CODES[r.reason!];
    },
  },
  {
    name: 'audit latest',
    usage: `--site <id> [--bundle <file>] ${TRUST_USAGE}`,
    summary:
      "ask the witness (the main site, --url) for its latest cosigned\ncheckpoint of a site's log and verify it with the pinned keys; with\n--bundle, exit 0 only if the bundle reaches it (26 stale, 14 fork)",
    options: { url: { type: 'string' }, token: { type: 'string' }, site: { type: 'string' }, bundle: { type: 'string' }, json: { type: 'boolean' }, ...TRUST_OPTIONS },
    async run(flags, _args, io) {
      const site = flags.site;
      if (typeof site !== 'string') throw new CliError(`usage: tieup audit latest --site <id> [--bundle <file>] ${TRUST_USAGE}`, 2);
      const choice = trustFromFlags(flags);
      const { verifyBundle, verifyLatestCheckpoint, EXIT_CODES } = await audit();
      // Check the bundle first: a bundle that does not verify has nothing to compare.
      const b = typeof flags.bundle === 'string' ? verifyBundle(await readBundle(flags.bundle), choice) : undefined;
      if (b && !b.tree) {
        io.err(`FAILED: the bundle does not verify (${b.reason}: ${b.message})`);
        return EXIT_CODES[b.reason!];
      }
      if (b && b.summary.site !== site) throw new CliError(`the bundle is the log of ${b.summary.site}, not of ${site}`, 2);
      const answer = await apiCall<{ checkpoint: string | null; cosignatures: string[]; witness: string | null; acceptedAt: string | null }>(
        urlOf(flags),
        tokenOf(flags),
        'GET',
        `/admin/api/logs/${encodeURIComponent(site)}/checkpoint`,
      );
      if (!answer.checkpoint) {
        io.err(`the witness holds no checkpoint of ${site}'s log yet`);
        return EXIT_CODES.no_checkpoint;
      }
      const latest = verifyLatestCheckpoint(site, answer, choice);
      for (const w of latest.warnings) io.err(`warning: ${w}`);
      if (!latest.ok || !latest.checkpoint) {
        io.err(`FAILED: the witness's answer does not verify (${latest.reason}: ${latest.message})`);
        return EXIT_CODES[latest.reason!];
      }
      const cp = latest.checkpoint;
      if (flags.json) io.out(JSON.stringify({ site, ...cp, witness: answer.witness, acceptedAt: answer.acceptedAt }, null, 2));
      else io.out(`${latest.message}; root ${cp.root}`);
      if (!b) return 0;
      const mine = b.summary.verifiedSize;
      const mineRoot = mine ? b.tree!.root(mine).toString('hex') : '';
      if (cp.size === mine && cp.root === mineRoot) {
        io.out(`fresh: the bundle verifies up to size ${mine}, the witness's latest checkpoint`);
        return b.ok ? 0 : EXIT_CODES[b.reason!];
      }
      if (cp.size === mine) {
        io.err(`FAILED: fork: the bundle's root at size ${mine} is ${mineRoot}, the witness's latest checkpoint of that size has root ${cp.root}`);
        return EXIT_CODES.fork;
      }
      if (cp.size < mine) {
        io.err(`FAILED: fork: the bundle carries a checkpoint of size ${mine} cosigned by the witness, which now reports only size ${cp.size} (a rollback, or another history)`);
        return EXIT_CODES.fork;
      }
      io.err(`STALE: the bundle verifies up to size ${mine}; the witness has cosigned size ${cp.size} (made ${cp.time}). Export a new bundle: its root at size ${mine} must still be ${mineRoot}`);
      return EXIT_CODES.stale;
    },
  },
  {
    name: 'audit prove',
    usage: [`--file <bundle> --index <n> [--size <n>] ${TRUST_USAGE}`, `--file <bundle> --from <size> [--size <n>] ${TRUST_USAGE}`],
    summary: 'an inclusion proof (--index) or a consistency\nproof (--from), as JSON, within the verified size',
    options: { file: { type: 'string' }, index: { type: 'string' }, from: { type: 'string' }, size: { type: 'string' }, to: { type: 'string' }, ...TRUST_OPTIONS },
    async run(flags, _args, io) {
      const { verifyBundle, EXIT_CODES } = await audit();
      const r = verifyBundle(await readBundle(flags.file as string | undefined), trustFromFlags(flags));
      for (const w of r.warnings) io.err(`warning: ${w}`);
      if (!r.tree || (!r.ok && r.reason !== 'unverified_entries')) {
        io.err(`the bundle does not verify (${r.reason}: ${r.message}); no proof from it`);
        return EXIT_CODES[r.reason ?? 'malformed_bundle'];
      }
      if (!r.ok) io.err(`warning: ${r.message}; proofs only up to size ${r.summary.verifiedSize}`);
      const tree = r.tree;
      // Only what a verified checkpoint covers can be proven: never an entry of an unverified tail.
      const verified = r.summary.verifiedSize;
      const size = typeof flags.size === 'string' ? Number(flags.size) : typeof flags.to === 'string' ? Number(flags.to) : verified;
      if (!Number.isSafeInteger(size) || size < 1 || size > verified) throw new CliError(`--size must be between 1 and ${verified} (the verified size)`, 2);
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
