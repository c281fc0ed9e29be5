import { readFileSync } from 'node:fs';
import { readBundleFile, verifyBundle, EXIT_CODES, type BundleHeader } from '../common/logchain/audit.js';
import { parseFeeContract, type FeeContract } from '../common/fees/contract.js';
import { computeStatement, isPeriod, type Statement } from '../common/fees/engine.js';
import { formatMoney } from '../common/money.js';
import { usageFromBundle } from '../common/fees/usage-from-bundle.js';
import { apiCall, CliError } from './http.js';

type Flags = Record<string, string | boolean | string[] | undefined>;

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
}

/**
 * tieup fees recompute: a statement recomputed from a verified log bundle alone
 * and compared line by line with the stored one.
 */
export async function feesRecompute(url: string, token: string | undefined, flags: Flags): Promise<number> {
  const bundleFile = flags.bundle;
  const period = flags.period;
  if (typeof bundleFile !== 'string' || !isPeriod(period)) {
    throw new CliError('usage: tieup fees recompute --bundle <audit export> --period YYYY-MM [--contract <file>] [--statement <file>] [--offline]', 2);
  }
  let bundle: Buffer;
  try {
    bundle = readBundleFile(bundleFile);
  } catch (err) {
    throw new CliError(`cannot read ${bundleFile}: ${(err as Error).message}`, 2);
  }
  const v = verifyBundle(bundle);
  if (!v.ok) {
    console.error(`the bundle does not verify (${v.reason}: ${v.message}); nothing is recomputed from it`);
    return EXIT_CODES[v.reason!];
  }
  const header = JSON.parse(bundle.subarray(0, bundle.indexOf(10)).toString('utf8')) as Omit<BundleHeader, 'contracts'> & { contracts?: { fees?: unknown }[] };
  let contract: FeeContract;
  try {
    const raw = typeof flags.contract === 'string' ? readJson(flags.contract, 'contract') : header.contracts?.find((c) => c.fees)?.fees;
    if (!raw) throw new CliError('the bundle carries no fee contract (export it with --with-contract) and no --contract was given', 2);
    contract = parseFeeContract(raw);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, 2);
  }

  let stored: Statement | undefined;
  if (!flags.offline) {
    stored =
      typeof flags.statement === 'string'
        ? (readJson(flags.statement, 'statement') as Statement)
        : await apiCall<Statement>(url, token, 'GET', `/admin/api/fees/statements/${encodeURIComponent(contract.partner)}/${period}`);
  }
  // Count exactly the entries the stored statement rests on: its checkpoint, which the bundle must confirm.
  let size = v.summary.largestSignedSize;
  if (stored?.checkpoint) {
    size = stored.checkpoint.size;
    if (size > v.tree!.size || v.tree!.root(size).toString('hex') !== stored.checkpoint.root) {
      console.error(`MISMATCH: the statement rests on checkpoint size ${size} with root ${stored.checkpoint.root}, which this bundle does not contain`);
      return 1;
    }
  }
  const usage = usageFromBundle(bundle, period, contract.timeZone, size);
  usage.checkpoint = { site: header.site, size, root: size ? v.tree!.root(size).toString('hex') : '' };
  const mine = computeStatement(contract, usage);
  const money = (a: number) => formatMoney({ amount: a, currency: mine.currency });
  console.log(`recomputed from ${bundleFile}: ${mine.partner} ${mine.period}, contract version ${mine.contractVersion}, log checkpoint size ${size}`);
  for (const l of mine.lines) console.log(`  ${l.name.padEnd(48)} ${money(l.amount).padStart(14)}   ${l.formula}`);
  console.log(`  ${'Total'.padEnd(48)} ${money(mine.total).padStart(14)}`);
  if (!stored) return 0;
  const theirs = stored.lines.filter((l) => l.code !== 'adjustment');
  const diffs: string[] = [];
  const n = Math.max(theirs.length, mine.lines.length);
  for (let i = 0; i < n; i++) {
    const a = mine.lines[i];
    const b = theirs[i];
    if (!a || !b || a.code !== b.code || a.amount !== b.amount) diffs.push(`line ${i + 1}: recomputed ${a ? `${a.code} ${money(a.amount)}` : '(none)'}, stored ${b ? `${b.code} ${money(b.amount)}` : '(none)'}`);
  }
  const storedTotal = theirs.reduce((s, l) => s + l.amount, 0);
  if (storedTotal !== mine.total) diffs.push(`total: recomputed ${money(mine.total)}, stored ${money(storedTotal)} (without adjustment lines for earlier periods)`);
  if (diffs.length) {
    console.error(`MISMATCH with the stored statement:\n  ${diffs.join('\n  ')}`);
    return 1;
  }
  console.log(`matches the stored statement line by line (${theirs.length} lines${stored.lines.length !== theirs.length ? `, plus ${stored.lines.length - theirs.length} adjustment line(s) for earlier periods` : ''})`);
  return 0;
}
