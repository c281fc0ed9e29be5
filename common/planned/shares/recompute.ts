import { z } from 'zod';
import { decodeEntry } from '../../logchain/entry.js';
import { contractVersion, partyId, utcTime, type ContractVersion } from './contract.js';
import { acceptanceRecord, recordDigest, refundRecord, saleRecord, type AcceptanceRecord, type RefundRecord, type SaleRecord } from './sale.js';
import { statementChain, type Account, type PlannerRecords, type Statement } from './statement.js';

/**
 * Offline recompute of a party's statements (`tieup shares recompute`). The
 * main site's audit bundle proves which planned_* entries it signed; the
 * shares evidence (exported beside it) holds the records those entries are
 * digests of. A record counts only if a signed entry at its index has its
 * type, its planner and its digest (and, for money, its amount); every signed
 * entry of the planner must have its record. The statements are then made by
 * the same statementChain the main site runs, and compared line by line.
 */
const logged = <T extends z.ZodType>(record: T) => z.strictObject({ record, entryIndex: z.int().min(0) });
const checkpointRef = z.strictObject({ size: z.int().min(0), root: z.string().regex(/^([0-9a-f]{64})?$/) });

export const sharesEvidence = z.strictObject({
  evidence: z.literal('tieup-planned-shares'),
  version: z.literal(1),
  mainSite: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  planner: partyId,
  exportedAt: utcTime,
  contracts: z.array(logged(contractVersion)),
  sales: z.array(logged(saleRecord)),
  refunds: z.array(logged(refundRecord)),
  acceptances: z.array(logged(acceptanceRecord)),
  /** The planner's closed periods and the checkpoint each was closed on. */
  closed: z.array(z.strictObject({ from: utcTime, to: utcTime, ...checkpointRef.shape })),
});
export type SharesEvidence = z.output<typeof sharesEvidence>;

const TYPES: Record<string, 'contracts' | 'sales' | 'refunds' | 'acceptances'> = {
  planned_contract: 'contracts',
  planned_sale: 'sales',
  planned_refund: 'refunds',
  planned_accept: 'acceptances',
};

export interface EvidenceCheck {
  /** The records backed by signed entries below `size`. */
  records: PlannerRecords;
  /** Why the evidence and the log disagree; empty when they agree. */
  problems: string[];
  /** Signed planned entries of the planner that were matched. */
  matched: number;
}

/** Holds the evidence to the bundle's entries below `size` (the verified, signed prefix). */
export function checkEvidence(bundle: string, size: number, ev: SharesEvidence): EvidenceCheck {
  const signed = new Map<number, { type: string; session: string | null; order: { id: string; amount: number; currency: string } | null }>();
  let at = 0;
  while (at < bundle.length) {
    const nl = bundle.indexOf('\n', at);
    const line = bundle.slice(at, nl < 0 ? bundle.length : nl);
    at = nl < 0 ? bundle.length : nl + 1;
    if (!line.startsWith('{"v":1') || !line.includes('"type":"planned_')) continue;
    const e = decodeEntry(line);
    if (!e || e.index >= size || !(e.type in TYPES) || e.user !== ev.planner) continue;
    signed.set(e.index, { type: e.type, session: e.session, order: e.order });
  }
  const problems: string[] = [];
  const used = new Set<number>();
  const keep = <T>(
    kind: 'contracts' | 'sales' | 'refunds' | 'acceptances',
    list: { record: T; entryIndex: number }[],
    id: (r: T) => string,
    amount?: (r: T) => number,
  ): { record: T; entryIndex: number }[] => {
    const out: { record: T; entryIndex: number }[] = [];
    for (const x of list) {
      const e = signed.get(x.entryIndex);
      const what = `${kind.replace(/s$/, '')} ${id(x.record)}`;
      if (x.entryIndex >= size) {
        problems.push(`${what}: its entry ${x.entryIndex} is beyond the verified log (size ${size})`);
        continue;
      }
      if (!e || TYPES[e.type] !== kind) problems.push(`${what}: entry ${x.entryIndex} is not a signed ${kind} entry of planner ${ev.planner}`);
      else if (e.session !== recordDigest(x.record)) problems.push(`${what}: its digest differs from the one signed in entry ${x.entryIndex} (the record was altered)`);
      else if (amount && e.order?.amount !== amount(x.record)) problems.push(`${what}: the amount differs from the one signed in entry ${x.entryIndex}`);
      else {
        used.add(x.entryIndex);
        out.push(x);
      }
    }
    return out;
  };
  const records: PlannerRecords = {
    mainSite: ev.mainSite,
    contracts: keep<ContractVersion>('contracts', ev.contracts, (r) => `v${r.version}`).map((x) => x.record),
    sales: keep<SaleRecord>(
      'sales',
      ev.sales,
      (r) => r.saleId,
      (r) => r.amount,
    ),
    refunds: keep<RefundRecord>(
      'refunds',
      ev.refunds,
      (r) => r.refundId,
      (r) => r.amount,
    ),
    acceptances: keep<AcceptanceRecord>('acceptances', ev.acceptances, (r) => r.contribution),
  };
  for (const [index, e] of signed) if (!used.has(index)) problems.push(`entry ${index} (${e.type}) of planner ${ev.planner} has no record in the evidence (the evidence leaves it out)`);
  return { records, problems, matched: used.size };
}

/** The party's statements of every closed period, recomputed; each rests on the checkpoint its period was closed on. */
export function recomputeStatements(account: Account, records: PlannerRecords, ev: SharesEvidence): Statement[] {
  const through = ev.closed.length ? ev.closed[ev.closed.length - 1]!.to : '';
  if (!through) return [];
  return statementChain(account, records, through).map((s) => {
    const c = ev.closed.find((x) => x.from === s.period.from);
    return { ...s, restsOn: c ? { size: c.size, root: c.root } : null };
  });
}

/** Differences between recomputed and stored statements, in words (empty: they match line by line). */
export function compareStatements(mine: readonly Statement[], theirs: readonly Statement[]): string[] {
  const out: string[] = [];
  const key = (s: Statement) => s.period.from;
  const byFrom = new Map(theirs.filter((s) => s.restsOn).map((s) => [key(s), s]));
  for (const m of mine) {
    const t = byFrom.get(key(m));
    const p = m.period.from.slice(0, 10);
    if (!t) {
      out.push(`${p}: recomputed, but no stored statement`);
      continue;
    }
    byFrom.delete(key(m));
    for (const f of ['opening', 'credits', 'debits', 'closing', 'held', 'payout', 'carried', 'contractVersion'] as const) if (m[f] !== t[f]) out.push(`${p}: ${f} recomputed ${m[f]}, stored ${t[f]}`);
    const n = Math.max(m.lines.length, t.lines.length);
    for (let i = 0; i < n; i++) {
      const a = m.lines[i];
      const b = t.lines[i];
      if (!a || !b || a.ref !== b.ref || a.amount !== b.amount || a.entry !== b.entry || a.kind !== b.kind)
        out.push(`${p} line ${i + 1}: recomputed ${a ? `${a.kind} ${a.ref} ${a.amount} (entry ${a.entry})` : '(none)'}, stored ${b ? `${b.kind} ${b.ref} ${b.amount} (entry ${b.entry})` : '(none)'}`);
    }
    if (m.restsOn && t.restsOn && (m.restsOn.size !== t.restsOn.size || m.restsOn.root !== t.restsOn.root))
      out.push(`${p}: rests on checkpoint ${t.restsOn.size} as stored, ${m.restsOn.size} in the evidence`);
  }
  for (const t of byFrom.values()) out.push(`${t.period.from.slice(0, 10)}: stored, but not recomputed from the log`);
  return out;
}
