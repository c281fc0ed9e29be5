import { readFileSync } from 'node:fs';
import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../../common/cli/api.js';
import { CliError, defineCommands, print, type CliIo, type Flags } from '../../../common/cli/command.js';
import { TRUST_OPTIONS, TRUST_USAGE } from '../../../common/logchain/trust.js';
import { verifyBundles } from './offline-bundles.js';
import { recomputeSupplierStatement, STATEMENTS_RECOMPUTE_USAGE } from './statements-offline.js';
import type { Classification, SupplierStatement } from '../../../common/paid/index.js';

interface Recon {
  partner: string;
  period: string;
  version: number;
  status: string;
  differences: Record<string, number>;
  lines: { item: string; user: string; status: string; partner: { count: number; amount: number }; main: { count: number; amount: number }; at?: string }[];
  mainCheckpoint: { size: number; root: string };
  partnerCheckpoint: { size: number; root: string } | null;
}

function printClassification(io: CliIo, head: string, c: Pick<Classification, 'lines' | 'differences'>, status: string): void {
  io.out(head);
  for (const l of c.lines) io.out(`  ${l.status.padEnd(18)} ${l.item}  ${l.user}  partner ${l.partner.count}/${l.partner.amount}  main ${l.main.count}/${l.main.amount}${l.at ? `  at ${l.at}` : ''}`);
  io.out(
    `  differences: ${Object.entries(c.differences)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  io.out(`  ${status}`);
}

/**
 * tieup paid reconcile --bundle <main> --partner-bundle <partner>: the reconciliation
 * recomputed from the two sites' logs alone. Both bundles are verified with
 * the pinned keys (as `tieup audit verify`); the partner's lines are its
 * `charge` entries, the main site's its `key_issued` and `subscribed`
 * entries, each counted up to the checkpoint the online reconciliation rests
 * on (asked of --url unless --offline; else the verified size).
 */
async function reconcileOffline(flags: Flags, io: CliIo): Promise<number> {
  const paid = await import('../../../common/paid/index.js');
  const files = [flags.bundle, flags['partner-bundle']].filter((f): f is string => typeof f === 'string');
  const period = flags.period;
  if (files.length !== 2 || typeof period !== 'string' || !paid.PERIOD_RE.test(period))
    throw new CliError(`usage: tieup paid reconcile --bundle <main site bundle> --partner-bundle <partner bundle> --period YYYY-MM ${TRUST_USAGE} [--offline]`, 2);
  const verified = await verifyBundles(files, flags, io);
  const main = verified.find((b) => b.own) ?? verified[0]!;
  const partner = verified.find((b) => b !== main)!;
  let mainSize = main.v.summary.verifiedSize;
  let partnerSize = partner.v.summary.verifiedSize;
  let online: Recon | undefined;
  if (!flags.offline) {
    online = await apiCall<Recon>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/paid/reconciliations/${encodeURIComponent(partner.site)}/${period}`);
    for (const [b, cp, label] of [
      [main, online.mainCheckpoint, 'main site'],
      [partner, online.partnerCheckpoint, 'partner'],
    ] as const) {
      if (!cp) continue;
      if (cp.size > b.v.summary.verifiedSize || (cp.size && b.v.tree!.root(cp.size).toString('hex') !== cp.root)) {
        io.err(`MISMATCH: the reconciliation rests on the ${label}'s checkpoint of size ${cp.size} (root ${cp.root}), which ${b.file} does not contain`);
        return 1;
      }
    }
    mainSize = online.mainCheckpoint.size;
    if (online.partnerCheckpoint) partnerSize = online.partnerCheckpoint.size;
  }
  const lines = paid.partnerLinesFromLog(partner.text, partnerSize).lines;
  const mine = paid.classify(period, lines, paid.mainChargesFromLog(main.text, partner.site, mainSize));
  const out = { partner: partner.site, period, outcome: mine.outcome, differences: mine.differences, lines: mine.lines, mainCheckpointSize: mainSize, partnerCheckpointSize: partnerSize };
  print(flags, io, out, () => printClassification(io, `recomputed from ${main.file} (size ${mainSize}) and ${partner.file} (size ${partnerSize}): ${partner.site} ${period}`, mine, mine.outcome));
  if (!online) return 0;
  const key = (l: Recon['lines'][number]) => JSON.stringify([l.item, l.user, l.status, l.partner, l.main, l.at ?? null]);
  const a = mine.lines.map(key);
  const b = online.lines.map(key);
  const diff = a.filter((x) => !b.includes(x)).length + b.filter((x) => !a.includes(x)).length;
  if (diff) {
    io.err(`MISMATCH: ${diff} line(s) differ from the main site's reconciliation (version ${online.version})`);
    return 1;
  }
  io.err(`matches the main site's reconciliation (version ${online.version}, ${online.status})`);
  return 0;
}

/** Reconciliation and supplier statements, against the main site's console API (or offline from bundles). */
export const reconcileCli = defineCommands(`Paid content (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'paid reconcile',
    usage: [
      '[--period YYYY-MM]',
      '--partner <id> --period YYYY-MM [--version N]',
      'accept --partner <id> --period YYYY-MM --reason <text>',
      `--bundle <main> --partner-bundle <partner> --period YYYY-MM ${TRUST_USAGE} [--offline]`,
    ],
    summary: "partners' statements and their reconciliation; accept a held one with a reason;\nwith two bundles, recompute it offline from the logs (exit 1 if it differs)",
    args: 1,
    options: {
      ...API_OPTIONS,
      ...TRUST_OPTIONS,
      partner: { type: 'string' },
      period: { type: 'string' },
      version: { type: 'string' },
      reason: { type: 'string' },
      bundle: { type: 'string' },
      'partner-bundle': { type: 'string' },
      offline: { type: 'boolean' },
    },
    async run(flags, args, io) {
      if (typeof flags.bundle === 'string' || typeof flags['partner-bundle'] === 'string') return reconcileOffline(flags, io);
      const s = (k: string) => (typeof flags[k] === 'string' ? flags[k] : undefined);
      if (args[0] === 'accept') {
        if (!s('partner') || !s('period') || !s('reason')) throw new CliError('usage: tieup paid reconcile accept --partner <id> --period YYYY-MM --reason <text>', 2);
        const r = await apiCall<Recon>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/paid/reconciliations/${encodeURIComponent(s('partner')!)}/${s('period')}/accept`, {
          reason: s('reason'),
          version: Number(s('version')) || undefined,
        });
        print(flags, io, r, () => io.out(`${r.partner} ${r.period} version ${r.version}: ${r.status}`));
        return 0;
      }
      if (args.length) throw new CliError(`unknown: ${args[0]}`, 2);
      if (s('partner')) {
        const r = await apiCall<Recon>(
          urlOf(flags),
          tokenOf(flags),
          'GET',
          `/admin/api/paid/reconciliations/${encodeURIComponent(s('partner')!)}/${s('period') ?? ''}${s('version') ? `?version=${s('version')}` : ''}`,
        );
        print(flags, io, r, () => printClassification(io, `${r.partner} ${r.period} version ${r.version} (main checkpoint ${r.mainCheckpoint.size})`, r as unknown as Classification, r.status));
        return 0;
      }
      const r = await apiCall<{ statements: Recon[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/paid/reconciliations${s('period') ? `?period=${s('period')}` : ''}`);
      print(flags, io, r, () => {
        for (const x of r.statements) io.out(`${x.partner}  ${x.period}  version ${x.version}  ${x.status}`);
        if (!r.statements.length) io.out('no statements');
      });
      return 0;
    },
  },
  {
    name: 'paid statements',
    usage: ['[--supplier <id>] [--period YYYY-MM]', 'issue --supplier <id> --period YYYY-MM', 'contract --file <contract.json>', 'contracts [--supplier <id>]', STATEMENTS_RECOMPUTE_USAGE],
    summary:
      "supplier payment statements: list, issue one (sends the supplier a notice),\nset a supplier's contract (a new version), list contracts;\nrecompute one offline from the logs (exit 1 if it differs)",
    args: 1,
    options: {
      ...API_OPTIONS,
      ...TRUST_OPTIONS,
      supplier: { type: 'string' },
      period: { type: 'string' },
      file: { type: 'string' },
      bundle: { type: 'string' },
      'partner-bundle': { type: 'string' },
      statement: { type: 'string' },
      contract: { type: 'string' },
      offline: { type: 'boolean' },
    },
    async run(flags, args, io) {
      if (args[0] === 'recompute') return recomputeSupplierStatement(flags, io);
      const s = (k: string) => (typeof flags[k] === 'string' ? flags[k] : undefined);
      const api = <T>(method: string, path: string, body?: unknown) => apiCall<T>(urlOf(flags), tokenOf(flags), method, path, body);
      type Stored = { supplier: string; period: string; revision: number; statement: SupplierStatement };
      const show = (x: Stored) => {
        io.out(
          `${x.supplier} ${x.period} revision ${x.revision}, contract version ${x.statement.contractVersion}: total ${x.statement.total} ${x.statement.currency}${x.statement.held ? `, ${x.statement.held} held` : ''}`,
        );
        for (const l of x.statement.lines) io.out(`  ${l.status.padEnd(8)} ${l.item}  ${l.partner ?? '-'}  ${l.basis}  ${l.quantity} x ${l.rate} = ${l.amount}  ${l.note}`);
      };
      if (args[0] === 'issue') {
        if (!s('supplier') || !s('period')) throw new CliError('usage: tieup paid statements issue --supplier <id> --period YYYY-MM', 2);
        const r = await api<Stored>('POST', '/admin/api/paid/supplier-statements', { supplier: s('supplier'), period: s('period') });
        print(flags, io, r, () => show(r));
        return 0;
      }
      if (args[0] === 'contract') {
        if (!s('file')) throw new CliError('usage: tieup paid statements contract --file <contract.json>', 2);
        let body: unknown;
        try {
          body = JSON.parse(readFileSync(s('file')!, 'utf8'));
        } catch (err) {
          throw new CliError(`cannot read ${s('file')}: ${(err as Error).message}`, 2);
        }
        const r = await api<{ supplier: string; version: number; effectiveFrom: string }>('POST', '/admin/api/paid/supplier-contracts', body);
        print(flags, io, r, () => io.out(`${r.supplier}: contract version ${r.version}, in force from ${r.effectiveFrom}`));
        return 0;
      }
      if (args[0] === 'contracts') {
        const r = await api<{ contracts: { supplier: string; version: number; effectiveFrom: string; createdBy: string }[] }>(
          'GET',
          `/admin/api/paid/supplier-contracts${s('supplier') ? `?supplier=${s('supplier')}` : ''}`,
        );
        print(flags, io, r, () => r.contracts.forEach((c) => io.out(`${c.supplier}  version ${c.version}  from ${c.effectiveFrom}  by ${c.createdBy}`)));
        return 0;
      }
      if (args.length) throw new CliError(`unknown: ${args[0]}`, 2);
      const q = new URLSearchParams();
      if (s('supplier')) q.set('supplier', s('supplier')!);
      if (s('period')) q.set('period', s('period')!);
      const r = await api<{ statements: Stored[] }>('GET', `/admin/api/paid/supplier-statements?${q.toString()}`);
      print(flags, io, r, () => {
        r.statements.forEach(show);
        if (!r.statements.length) io.out('no supplier statements');
      });
      return 0;
    },
  },
]);
