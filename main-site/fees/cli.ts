import { readFileSync } from 'node:fs';
import { API_OPTIONS, apiCall, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, print, type CliIo, type Flags } from '../../common/cli/command.js';
import type { FeeContract } from '../../common/fees/contract.js';
import type { Statement } from '../../common/fees/engine.js';
import type { BundleHeader } from '../../common/logchain/audit.js';
import { BUNDLE_KEYS_WARNING, TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from '../../common/logchain/trust.js';
import { formatMoney } from '../../common/money.js';
import type { PartnershipType } from '../../common/release/manifest.js';
import { PARTNERSHIP_TYPES, readSyncTerms } from '../../common/sync/index.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Fee contracts exported before the partnership type moved to the sync terms
 * named a type in each version. Such a bundle is recomputed as it was computed
 * then: with the type of the version in force; the types are then taken out so
 * the contract parses as today's.
 */
function legacyTypes(raw: unknown, period: string): { contract: unknown; partnershipType?: PartnershipType } {
  if (!isObject(raw) || !Array.isArray(raw.versions)) return { contract: raw };
  const versions = raw.versions as unknown[];
  const typed = versions.some((v) => isObject(v) && isObject(v.terms) && 'partnershipType' in v.terms);
  if (!typed) return { contract: raw };
  let inForce: unknown;
  for (const v of versions) if (isObject(v) && typeof v.effectiveFrom === 'string' && v.effectiveFrom <= `${period}-01`) inForce = isObject(v.terms) ? v.terms.partnershipType : undefined;
  const contract = {
    ...raw,
    versions: versions.map((v) => {
      if (!isObject(v) || !isObject(v.terms)) return v;
      const { partnershipType: _t, ...terms } = v.terms;
      return { ...v, terms };
    }),
  };
  return { contract, partnershipType: PARTNERSHIP_TYPES.find((t) => t === inForce) };
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
}

/**
 * tieup fees recompute: a statement recomputed from a verified log bundle alone
 * and compared line by line with the stored one. The bundle is verified
 * against the auditor's pinned keys, as `tieup audit verify` does: a bundle
 * carries keys chosen by whoever made it, so they are used only when the
 * auditor says --trust-bundle-keys. Only the verified prefix is counted. The
 * verifier and the fee engine are imported when it runs.
 */
async function feesRecompute(flags: Flags, io: CliIo): Promise<number> {
  const [{ readBundleFile, verifyBundle, EXIT_CODES }, { parseFeeContract }, { computeStatement, isPeriod }, { usageFromBundle }] = await Promise.all([
    import('../../common/logchain/audit.js'),
    import('../../common/fees/contract.js'),
    import('../../common/fees/engine.js'),
    import('../../common/fees/usage-from-bundle.js'),
  ]);
  const bundleFile = flags.bundle;
  const period = flags.period;
  if (typeof bundleFile !== 'string' || !isPeriod(period)) {
    throw new CliError(`usage: tieup fees recompute --bundle <audit export> --period YYYY-MM ${TRUST_USAGE} [--contract <file>] [--statement <file>] [--offline]`, 2);
  }
  const choice = trustFromFlags(flags);
  if (choice.trustBundleKeys) io.err(BUNDLE_KEYS_WARNING);
  let bundle: Buffer;
  try {
    bundle = readBundleFile(bundleFile);
  } catch (err) {
    throw new CliError(`cannot read ${bundleFile}: ${(err as Error).message}`, 2);
  }
  const v = verifyBundle(bundle, choice);
  for (const w of v.warnings) if (w !== BUNDLE_KEYS_WARNING) io.err(`warning: ${w}`);
  if (!v.tree || (!v.ok && v.reason !== 'unverified_entries')) {
    io.err(`the bundle does not verify (${v.reason}: ${v.message}); nothing is recomputed from it`);
    return EXIT_CODES[v.reason!];
  }
  // Entries past the verified size are counted nowhere.
  if (!v.ok) io.err(`warning: ${v.message}`);
  const verifiedSize = v.summary.verifiedSize;
  const header = JSON.parse(bundle.subarray(0, bundle.indexOf(10)).toString('utf8')) as Omit<BundleHeader, 'contracts'> & { contracts?: { contract?: unknown; fees?: unknown }[] };
  let contract: FeeContract;
  let partnershipType: PartnershipType;
  let typeFrom: string;
  try {
    const raw = typeof flags.contract === 'string' ? readJson(flags.contract, 'contract') : header.contracts?.find((c) => c.fees)?.fees;
    if (!raw) throw new CliError('the bundle carries no fee contract (export it with --with-contract) and no --contract was given', 2);
    const legacy = legacyTypes(raw, period);
    contract = parseFeeContract(legacy.contract);
    if (contract.partner !== header.site) throw new CliError(`the fee contract is ${contract.partner}'s, the bundle is the log of ${header.site}`, 2);
    if (legacy.partnershipType) {
      partnershipType = legacy.partnershipType;
      typeFrom = 'the fee contract version in force (exported before the type moved to the sync terms)';
    } else {
      // The partnership type's one home: the sync terms of the partner's contract, read strictly.
      const terms = header.contracts?.find((c) => c.contract !== undefined)?.contract;
      if (!isObject(terms)) throw new CliError('the bundle carries no partner contract, so no partnership type (export it with --with-contract)', 2);
      const sync = readSyncTerms(terms);
      if (!sync.ok) throw new CliError(`the bundle's contract has unreadable sync terms (${sync.problem}), so no partnership type`, 2);
      if (!sync.terms) throw new CliError("the bundle's contract has no sync terms, so no partnership type to bill", 2);
      partnershipType = sync.terms.partnershipType;
      typeFrom = 'the sync terms of the exported contract';
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, 2);
  }

  let stored: Statement | undefined;
  if (!flags.offline) {
    stored =
      typeof flags.statement === 'string'
        ? (readJson(flags.statement, 'statement') as Statement)
        : await apiCall<Statement>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/fees/statements/${encodeURIComponent(contract.partner)}/${period}`);
  }
  // Count exactly the entries the stored statement rests on: its checkpoint, which the bundle must confirm.
  let size = verifiedSize;
  if (stored?.checkpoint) {
    size = stored.checkpoint.size;
    if (size > verifiedSize) {
      io.err(`MISMATCH: the statement rests on checkpoint size ${size}, beyond what this bundle verifies (size ${verifiedSize})`);
      return 1;
    }
    if (v.tree.root(size).toString('hex') !== stored.checkpoint.root) {
      io.err(`MISMATCH: the statement rests on checkpoint size ${size} with root ${stored.checkpoint.root}, which this bundle does not contain`);
      return 1;
    }
  }
  const usage = usageFromBundle(bundle, period, contract.timeZone, size);
  usage.checkpoint = { site: header.site, size, root: size ? v.tree.root(size).toString('hex') : '' };
  // A stored statement is recomputed by the access counting rule it was computed with (one from before the rule: "all-answers").
  const mine = computeStatement(contract, usage, partnershipType, stored ? { accessCounting: stored.accessCounting ?? 'all-answers' } : {});
  const money = (a: number) => formatMoney({ amount: a, currency: mine.currency });
  io.out(
    `recomputed from ${bundleFile}: ${mine.partner} ${mine.period}, contract version ${mine.contractVersion}, ${partnershipType} partnership (from ${typeFrom}), page accesses counted as ${mine.accessCounting}, log checkpoint size ${size}`,
  );
  for (const l of mine.lines) io.out(`  ${l.name.padEnd(48)} ${money(l.amount).padStart(14)}   ${l.formula}`);
  io.out(`  ${'Total'.padEnd(48)} ${money(mine.total).padStart(14)}`);
  if (!stored) return 0;
  const theirs = stored.lines.filter((l) => l.code !== 'adjustment');
  const diffs: string[] = [];
  if (stored.partnershipType && stored.partnershipType !== partnershipType)
    diffs.push(`partnership type: recomputed for ${partnershipType} (${typeFrom}), the stored statement was computed for ${stored.partnershipType}`);
  const n = Math.max(theirs.length, mine.lines.length);
  for (let i = 0; i < n; i++) {
    const a = mine.lines[i];
    const b = theirs[i];
    if (!a || !b || a.code !== b.code || a.amount !== b.amount)
      diffs.push(`line ${i + 1}: recomputed ${a ? `${a.code} ${money(a.amount)}` : '(none)'}, stored ${b ? `${b.code} ${money(b.amount)}` : '(none)'}`);
  }
  const storedTotal = theirs.reduce((s, l) => s + l.amount, 0);
  if (storedTotal !== mine.total) diffs.push(`total: recomputed ${money(mine.total)}, stored ${money(storedTotal)} (without adjustment lines for earlier periods)`);
  if (diffs.length) {
    io.err(`MISMATCH with the stored statement:\n  ${diffs.join('\n  ')}`);
    return 1;
  }
  io.out(
    `matches the stored statement line by line (${theirs.length} lines${stored.lines.length !== theirs.length ? `, plus ${stored.lines.length - theirs.length} adjustment line(s) for earlier periods` : ''})`,
  );
  return 0;
}

/** Fee statements: recomputed offline from an audit bundle, listed and closed against the main site. */
export const feesCli = defineCommands('Fees:', [
  {
    name: 'fees recompute',
    usage: `--bundle <audit export> --period YYYY-MM ${TRUST_USAGE} [--contract <file>] [--statement <file>] [--offline]`,
    summary: 'recompute a statement from a bundle verified against pinned keys\n(as audit verify) and compare it line by line with the stored one\n(--url, or --statement); exit 0 if equal',
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      bundle: { type: 'string' },
      period: { type: 'string' },
      contract: { type: 'string' },
      statement: { type: 'string' },
      offline: { type: 'boolean' },
      ...TRUST_OPTIONS,
    },
    run: (flags, _args, io) => feesRecompute(flags, io),
  },
  {
    name: 'fees statements',
    usage: '[--period YYYY-MM]',
    summary: 'statements of all partners (against the main site)',
    options: { ...API_OPTIONS, period: { type: 'string' } },
    async run(flags, _args, io) {
      const q = typeof flags.period === 'string' ? `?period=${encodeURIComponent(flags.period)}` : '';
      const r = await apiCall<{ period: string; statements: { partner: string; status: string; total: number; currency: string; lines: { name: string; amount: number }[] }[] }>(
        urlOf(flags),
        tokenOf(flags),
        'GET',
        `/admin/api/fees/statements${q}`,
      );
      print(flags, io, r, () => {
        if (!r.statements.length) io.out(`no partner has a fee contract (period ${r.period})`);
        for (const s of r.statements) {
          io.out(`${s.partner} ${r.period} (${s.status}): ${formatMoney({ amount: s.total, currency: s.currency })}`);
          for (const l of s.lines) io.out(`    ${l.name.padEnd(48)} ${formatMoney({ amount: l.amount, currency: s.currency }).padStart(14)}`);
        }
      });
      return 0;
    },
  },
  {
    name: 'fees close',
    usage: '--period YYYY-MM',
    summary: "freeze every partner's statement for the period",
    options: { ...API_OPTIONS, period: { type: 'string' } },
    async run(flags, _args, io) {
      const period = flags.period;
      if (typeof period !== 'string') throw new CliError('usage: tieup fees close --period YYYY-MM', 2);
      const r = await apiCall<{ statements: { partner: string; total: number; currency: string; hash: string }[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/fees/close', {
        period: flags.period,
      });
      print(flags, io, r, () => r.statements.forEach((s) => io.out(`${s.partner} ${period} closed: ${formatMoney({ amount: s.total, currency: s.currency })}, hash ${s.hash}`)));
      return 0;
    },
  },
]);
