import { readFileSync } from 'node:fs';
import { apiCall, tokenOf, urlOf } from '../../../common/cli/api.js';
import { CliError, print, type CliIo, type Flags } from '../../../common/cli/command.js';
import { TRUST_USAGE } from '../../../common/logchain/trust.js';
import type { CheckpointRef, PartnerPeriod, SupplierContract, SupplierLine, SupplierStatement } from '../../../common/paid/index.js';
import { verifyBundles, type VerifiedBundle } from './offline-bundles.js';

interface StoredStatement {
  supplier: string;
  period: string;
  revision: number;
  statement: SupplierStatement;
  mainCheckpoint: CheckpointRef;
}
interface StoredContract {
  supplier: string;
  version: number;
  contract: SupplierContract;
}
interface Recon {
  status: string;
  partnerCheckpoint: CheckpointRef | null;
}

export const STATEMENTS_RECOMPUTE_USAGE = `recompute --bundle <main> [--partner-bundle <p1>,<p2>...] --supplier <id> --period YYYY-MM ${TRUST_USAGE} [--offline --statement <file> --contract <file>]`;

function readJson<T>(file: unknown, what: string): T {
  if (typeof file !== 'string') throw new CliError(`--offline needs --${what} <file> (the JSON the console API gives)`, 2);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

const lineKey = (l: SupplierLine) => JSON.stringify([l.item, l.partner, l.basis, l.quantity, l.rate, l.amount, l.status]);

/**
 * tieup paid statements recompute: a supplier's payment statement recomputed
 * from the main site's log (its key_issued and subscribed entries up to the
 * checkpoint the statement rests on) and the contract version it names.
 * Whether a partner's charges count is recomputed too where that partner's
 * bundle is given (its statement reconciles with the main site's records or
 * not); an operator's acceptance of a held statement is a decision, not a fact
 * in any log, so it is shown as such and taken from the main site's word.
 * Exit 1 when a line or the total differs from the issued statement.
 */
export async function recomputeSupplierStatement(flags: Flags, io: CliIo): Promise<number> {
  const paid = await import('../../../common/paid/index.js');
  const supplier = flags.supplier;
  const period = flags.period;
  if (typeof flags.bundle !== 'string' || typeof supplier !== 'string' || typeof period !== 'string' || !paid.PERIOD_RE.test(period))
    throw new CliError(`usage: tieup paid statements ${STATEMENTS_RECOMPUTE_USAGE}`, 2);
  const partnerFiles = typeof flags['partner-bundle'] === 'string' ? flags['partner-bundle'].split(',').filter(Boolean) : [];
  const verified = await verifyBundles([flags.bundle, ...partnerFiles], flags, io);
  const main = verified[0]!;
  const partnerBundles = new Map<string, VerifiedBundle>(verified.slice(1).map((b) => [b.site, b]));
  const api = <T>(path: string) => apiCall<T>(urlOf(flags), tokenOf(flags), 'GET', path);

  const stored = flags.offline ? readJson<StoredStatement>(flags.statement, 'statement') : await api<StoredStatement>(`/admin/api/paid/supplier-statements/${encodeURIComponent(supplier)}/${period}`);
  if (stored.supplier !== supplier || stored.period !== period) throw new CliError(`the statement is for ${stored.supplier} ${stored.period}, not ${supplier} ${period}`, 2);
  const version = stored.statement.contractVersion;
  const contracts: StoredContract[] = flags.offline
    ? [readJson<StoredContract>(flags.contract, 'contract')]
    : (await api<{ contracts: StoredContract[] }>(`/admin/api/paid/supplier-contracts?supplier=${encodeURIComponent(supplier)}`)).contracts;
  const stated = contracts.find((c) => c.version === version && c.supplier === supplier);
  if (!stated) throw new CliError(`contract version ${version} of ${supplier} is not in what was given`, 2);
  const contract = paid.supplierContract.safeParse(stated.contract);
  if (!contract.success) throw new CliError(`contract version ${version} of ${supplier} does not parse: ${contract.error.issues[0]?.message ?? ''}`, 2);

  const cp = stored.mainCheckpoint;
  if (cp.size > main.v.summary.verifiedSize || (cp.size && main.v.tree!.root(cp.size).toString('hex') !== cp.root)) {
    io.err(`MISMATCH: the statement rests on the main site's checkpoint of size ${cp.size} (root ${cp.root}), which ${main.file} does not contain`);
    return 1;
  }
  const { from, to } = paid.monthBounds(period);
  const items = new Set(contract.data.items.map((i) => i.item));
  const notes: string[] = [];
  const partnerPeriods: PartnerPeriod[] = [];
  for (const partner of paid.partnersInMainLog(main.text, cp.size)) {
    const all = paid.mainChargesFromLog(main.text, partner, cp.size).filter((c) => c.at >= from && c.at < to);
    const charges = all.filter((c) => items.has(c.item));
    if (!charges.some((c) => c.amount > 0)) continue;
    const statedLine = stored.statement.lines.find((l) => l.partner === partner);
    const statedIncluded = statedLine?.status === 'included';
    const bundle = partnerBundles.get(partner);
    let included = statedIncluded;
    let reason: string | null = statedLine?.status === 'held' ? statedLine.note.replace(/^held: /, '').replace(/ \(would be \d+\)$/, '') : null;
    if (bundle) {
      const recon = flags.offline ? undefined : await api<Recon>(`/admin/api/paid/reconciliations/${encodeURIComponent(partner)}/${period}`).catch(() => undefined);
      const size = recon?.partnerCheckpoint?.size ?? bundle.v.summary.verifiedSize;
      const outcome = paid.classify(period, paid.partnerLinesFromLog(bundle.text, size).lines, all).outcome;
      if (outcome === 'reconciled') {
        included = true;
        reason = null;
        notes.push(`${partner}: its statement reconciles with the main site's records (recomputed from ${bundle.file}, size ${size})`);
      } else if (statedIncluded) {
        notes.push(
          `${partner}: its statement does not reconcile (recomputed); counted because the operator accepted it${recon ? ` (status ${recon.status})` : ''}: a decision, taken from the main site's word`,
        );
      } else {
        included = false;
        notes.push(`${partner}: its statement does not reconcile (recomputed from ${bundle.file}): held`);
      }
    } else notes.push(`${partner}: no bundle given; whether its charges count is taken from the statement (${statedIncluded ? 'included' : 'held'}), not recomputed`);
    partnerPeriods.push({ partner, included, reason: included ? null : (reason ?? 'not reconciled'), charges });
  }
  const mine = paid.computeSupplierStatement(contract.data, version, period, partnerPeriods);
  const a = mine.lines.map(lineKey);
  const b = stored.statement.lines.map(lineKey);
  const differing = a.filter((x) => !b.includes(x)).length + b.filter((x) => !a.includes(x)).length;
  const out = { supplier, period, revision: stored.revision, contractVersion: version, mainCheckpointSize: cp.size, total: mine.total, currency: mine.currency, lines: mine.lines, notes };
  print(flags, io, out, () => {
    io.out(`recomputed from ${main.file} (size ${cp.size}), contract version ${version}: ${supplier} ${period}`);
    for (const l of mine.lines) io.out(`  ${l.status.padEnd(8)} ${l.item}  ${l.partner ?? '-'}  ${l.basis}  ${l.quantity} x ${l.rate} = ${l.amount}  ${l.note}`);
    io.out(`  total ${mine.total} ${mine.currency} (minor units)`);
    for (const n of notes) io.out(`  note: ${n}`);
  });
  if (differing || mine.total !== stored.statement.total) {
    io.err(`MISMATCH: ${differing} line(s) differ from the issued statement (revision ${stored.revision}); recomputed total ${mine.total}, issued ${stored.statement.total}`);
    return 1;
  }
  io.err(`matches the issued statement (revision ${stored.revision}, total ${stored.statement.total} ${stored.statement.currency})`);
  return 0;
}
