import { readFileSync, writeFileSync } from 'node:fs';
import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../../common/cli/api.js';
import { CliError, defineCommands, need, print, type CliIo, type Flags } from '../../../common/cli/command.js';
import { BUNDLE_KEYS_WARNING, TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from '../../../common/logchain/trust.js';
import { formatMoney } from '../../../common/money.js';
import type { ContractVersion } from '../../../common/planned/shares/contract.js';
import type { PartRole } from '../../../common/planned/shares/allocate.js';
import type { Statement } from '../../../common/planned/shares/statement.js';

interface AccountView {
  id: number;
  planner: string;
  role: PartRole;
  party: string;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
}

function printStatements(io: CliIo, statements: readonly Statement[]): void {
  for (const s of statements) {
    const m = (a: number) => formatMoney({ amount: a, currency: s.currency }).padStart(14);
    io.out(
      `${s.account.role} ${s.account.party} (planner ${s.account.planner}) ${s.period.from.slice(0, 10)} to ${s.period.to.slice(0, 10)} (${s.period.cycle}), contract v${s.contractVersion}${s.restsOn ? `, rests on checkpoint ${s.restsOn.size}` : ', running'}`,
    );
    io.out(`  opening balance ${m(s.opening)}`);
    for (const l of s.lines) io.out(`  ${l.at} ${l.kind.padEnd(12)} ${m(l.amount)}  entry ${l.entry}  ${l.formula}`);
    io.out(`  closing ${m(s.closing)}  held ${m(s.held)}  paid out ${m(s.payout)}  carried ${m(s.carried)}`);
  }
  if (!statements.length) io.out('no statement');
}

/**
 * tieup shares recompute: a party's statements recomputed from the main
 * site's audit bundle (verified against pinned keys, as `tieup audit verify`)
 * and the shares evidence, then compared line by line with the main site's
 * (asked of --url, or read from --statements; --offline only prints them).
 */
async function recompute(flags: Flags, io: CliIo): Promise<number> {
  const [{ readBundleFile, verifyBundle, EXIT_CODES }, { sharesEvidence, checkEvidence, recomputeStatements, compareStatements }] = await Promise.all([
    import('../../../common/logchain/audit.js'),
    import('../../../common/planned/shares/recompute.js'),
  ]);
  const bundleFile = flags.bundle;
  const evidenceFile = flags.evidence;
  const party = flags.party;
  const role = flags.role ?? 'planner';
  if (typeof bundleFile !== 'string' || typeof evidenceFile !== 'string' || typeof party !== 'string' || !['planner', 'contributor', 'partner', 'main'].includes(String(role))) {
    throw new CliError(
      `usage: tieup shares recompute --bundle <main site audit export> --evidence <shares evidence> --party <id> [--role planner|contributor] ${TRUST_USAGE} [--statements <file>] [--offline]`,
      2,
    );
  }
  const choice = trustFromFlags(flags);
  if (choice.trustBundleKeys) io.err(BUNDLE_KEYS_WARNING);
  let bundle: Buffer;
  try {
    bundle = readBundleFile(bundleFile);
  } catch (err) {
    throw new CliError(`cannot read ${bundleFile}: ${(err as Error).message}`, 2);
  }
  // The main site's own log: signed by its pinned key, no witness above it cosigns it.
  const v = verifyBundle(bundle, { ...choice, allowUncosigned: true });
  for (const w of v.warnings) if (w !== BUNDLE_KEYS_WARNING && !/allow-uncosigned/.test(w)) io.err(`warning: ${w}`);
  if (!v.tree || (!v.ok && v.reason !== 'unverified_entries')) {
    io.err(`the bundle does not verify (${v.reason}: ${v.message}); nothing is recomputed from it`);
    return EXIT_CODES[v.reason!];
  }
  const size = v.summary.verifiedSize;
  const parsed = sharesEvidence.safeParse(readJson(evidenceFile, 'evidence'));
  if (!parsed.success) throw new CliError(`${evidenceFile} is not shares evidence: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 2);
  const ev = parsed.data;
  if (v.summary.site !== ev.mainSite) throw new CliError(`the evidence is the main site ${ev.mainSite}'s, the bundle is the log of ${v.summary.site}`, 2);
  const text = bundle.toString('utf8');
  const check = checkEvidence(text, size, ev);
  // Every closed period rests on a checkpoint: the bundle must contain it, root and all.
  for (const c of ev.closed) {
    if (c.size > size) check.problems.push(`period ${c.from.slice(0, 10)} rests on checkpoint size ${c.size}, beyond what this bundle verifies (size ${size})`);
    else if (c.size > 0 && v.tree.root(c.size).toString('hex') !== c.root)
      check.problems.push(`period ${c.from.slice(0, 10)} rests on checkpoint size ${c.size} with root ${c.root}, which this bundle does not contain`);
  }
  const account = { planner: ev.planner, role: role as PartRole, party };
  const mine = recomputeStatements(account, check.records, ev);
  print(flags, io, { account, verifiedSize: size, problems: check.problems, statements: mine }, () => {
    io.out(`recomputed from ${bundleFile} (verified size ${size}, ${check.matched} signed planned entries of planner ${ev.planner}) and ${evidenceFile}:`);
    printStatements(io, mine);
  });
  if (check.problems.length) {
    io.err(`MISMATCH between the evidence and the signed log:\n  ${check.problems.join('\n  ')}`);
    return 1;
  }
  if (flags.offline) return 0;
  let stored: Statement[];
  if (typeof flags.statements === 'string') stored = (readJson(flags.statements, 'statements') as { statements: Statement[] }).statements;
  else {
    const { accounts } = await apiCall<{ accounts: AccountView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/shares/accounts?party=${encodeURIComponent(party)}`);
    const a = accounts.find((x) => x.planner === ev.planner && x.role === account.role);
    if (!a) throw new CliError(`the main site has no ${account.role} account of ${party} with planner ${ev.planner}`, 1);
    stored = (await apiCall<{ statements: Statement[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/shares/statements/${a.id}`)).statements;
  }
  const diffs = compareStatements(mine, stored);
  if (diffs.length) {
    io.err(`MISMATCH with the main site's statements:\n  ${diffs.join('\n  ')}`);
    return 1;
  }
  io.err(`matches the main site's statements line by line (${mine.length} statement(s), ${mine.reduce((s, x) => s + x.lines.length, 0)} lines)`);
  return 0;
}

/** `tieup shares`: contracts, accounts, statements and closing against the main site's API; recompute offline. */
export const sharesCli = defineCommands(`Planned shares (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'shares contracts',
    usage: '--planner <party id>',
    summary: "every version of a planner's contract, with the time it takes effect",
    options: { ...API_OPTIONS, planner: { type: 'string' } },
    async run(flags, _args, io) {
      const r = await apiCall<{ contracts: ContractVersion[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/shares/contracts/${encodeURIComponent(need(flags, 'planner'))}`);
      print(flags, io, r, () => {
        for (const c of r.contracts) io.out(`v${c.version} from ${c.effectiveFrom} (recorded ${c.recordedAt}): ${JSON.stringify(c.terms)}`);
        if (!r.contracts.length) io.out('no contract');
      });
      return 0;
    },
  },
  {
    name: 'shares contract',
    usage: '--planner <party id> --terms <terms.json> [--effective-from <UTC time>]',
    summary: "a new version of the planner's contract (never before now nor before the last version)",
    options: { ...API_OPTIONS, planner: { type: 'string' }, terms: { type: 'string' }, 'effective-from': { type: 'string' } },
    async run(flags, _args, io) {
      const terms = readJson(need(flags, 'terms'), 'terms');
      const body: Record<string, unknown> = { terms };
      if (typeof flags['effective-from'] === 'string') body.effectiveFrom = flags['effective-from'];
      const r = await apiCall<{ contract: ContractVersion }>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/planned/shares/contracts/${encodeURIComponent(need(flags, 'planner'))}`, body);
      print(flags, io, r, () => io.out(`${r.contract.planner}: contract version ${r.contract.version} in force from ${r.contract.effectiveFrom}`));
      return 0;
    },
  },
  {
    name: 'shares accounts',
    usage: '[--planner <party id> | --party <party id>]',
    summary: "planners and their accounts (one per party with a part), or one planner's or party's",
    options: { ...API_OPTIONS, planner: { type: 'string' }, party: { type: 'string' } },
    async run(flags, _args, io) {
      const q = typeof flags.planner === 'string' ? `?planner=${encodeURIComponent(flags.planner)}` : typeof flags.party === 'string' ? `?party=${encodeURIComponent(flags.party)}` : '';
      const r = await apiCall<{ accounts?: AccountView[]; planners?: { planner: string; accounts: AccountView[] }[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/shares/accounts${q}`);
      print(flags, io, r, () => {
        const all = r.accounts ?? (r.planners ?? []).flatMap((p) => p.accounts);
        for (const a of all) io.out(`${String(a.id).padStart(6)}  ${a.role.padEnd(12)} ${a.party.padEnd(16)} planner ${a.planner}`);
        if (!all.length) io.out('no account');
      });
      return 0;
    },
  },
  {
    name: 'shares statements',
    usage: '--account <id> [--open]',
    summary: "an account's closed statements (with --open the running period too), every line with its formula",
    options: { ...API_OPTIONS, account: { type: 'string' }, open: { type: 'boolean' } },
    async run(flags, _args, io) {
      const r = await apiCall<{ statements: Statement[] }>(
        urlOf(flags),
        tokenOf(flags),
        'GET',
        `/admin/api/planned/shares/statements/${encodeURIComponent(need(flags, 'account'))}${flags.open ? '?open=1' : ''}`,
      );
      print(flags, io, r, () => printStatements(io, r.statements));
      return 0;
    },
  },
  {
    name: 'shares close',
    summary: 'close every period that ended: statements stored, payouts logged, notices sent',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<{ windows: number; statements: number; payouts: number; notices: number }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/planned/shares/close', {});
      print(flags, io, r, () => io.out(`closed ${r.windows} period(s): ${r.statements} statement(s), ${r.payouts} payout(s), ${r.notices} notice(s)`));
      return 0;
    },
  },
  {
    name: 'shares evidence',
    usage: '--planner <party id> --out <file>',
    summary: "the planner's records an auditor recomputes statements from, beside the main site's log bundle",
    options: { ...API_OPTIONS, planner: { type: 'string' }, out: { type: 'string' } },
    async run(flags, _args, io) {
      const r = await apiCall<unknown>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/shares/evidence/${encodeURIComponent(need(flags, 'planner'))}`);
      writeFileSync(need(flags, 'out'), JSON.stringify(r, null, 1) + '\n');
      io.out(`wrote ${need(flags, 'out')}`);
      return 0;
    },
  },
  {
    name: 'shares recompute',
    usage: `--bundle <main site audit export> --evidence <file> --party <id> [--role planner|contributor|partner|main] ${TRUST_USAGE} [--statements <file>] [--offline]`,
    summary:
      "recompute any party's statements with a planner (planner, contributor,\npartner or main site; --party is the party or site id) from the main site's\nbundle (verified against pinned keys) and the shares evidence, and\ncompare them line by line with the main site's; exit 0 if equal",
    options: {
      ...API_OPTIONS,
      bundle: { type: 'string' },
      evidence: { type: 'string' },
      party: { type: 'string' },
      role: { type: 'string' },
      statements: { type: 'string' },
      offline: { type: 'boolean' },
      ...TRUST_OPTIONS,
    },
    run: (flags, _args, io) => recompute(flags, io),
  },
]);
