import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, need, print } from '../../common/cli/command.js';
import type { Plan } from '../../common/coord/index.js';
import { formatMoney } from '../../common/money.js';
import type { GroupView, QuoteRound } from './coordinator.js';

/** "300 g flour, 2 each eggs" -> components; a line that does not read as "<quantity> <unit> <name>" is a usage error. */
function componentsOf(text: string) {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\d+(?:\.\d+)?)\s+(\S+)\s+(.+)$/.exec(s);
      if (!m) throw new CliError(`"${s}": write each component as "<quantity> <unit> <name>", separated by commas`, 2);
      return { name: m[3]!, quantity: Number(m[1]), unit: m[2]!, optional: false, alternatives: [] };
    });
}

interface Parties {
  parties: { peerId: string; kind: string; addedAt: string }[];
  suppliers: { id: string; kind: string; name: string | null }[];
  delivery: string[];
  settlement: string[];
}

/** Coordination, against the main site's console API. */
export const coordCli = defineCommands(`Coordination (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'coord suppliers',
    summary: 'the component suppliers asked for quotes (the central stock and enrolled peers), the delivery service and the settlement agent',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<Parties>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/coord/parties');
      print(flags, io, r, () => {
        for (const s of r.suppliers) io.out(`supplier    ${s.id}${s.kind === 'central' ? `  (central stock${s.name ? `: ${s.name}` : ''})` : ''}`);
        for (const d of r.delivery) io.out(`delivery    ${d}`);
        for (const s of r.settlement) io.out(`settlement  ${s}`);
        if (!r.suppliers.length) io.out('no supplier: name one with "tieup coord parties set <peer> supplier"');
      });
      return 0;
    },
  },
  {
    name: 'coord parties set',
    usage: '<peer> supplier|delivery|settlement',
    summary: 'names an enrolled peer as a component supplier, the delivery service or the settlement agent',
    options: API_OPTIONS,
    args: 2,
    async run(flags, args, io) {
      const [peer, kind] = args;
      if (!peer || !kind) throw new CliError('usage: tieup coord parties set <peer> supplier|delivery|settlement', 2);
      const r = await apiCall<{ parties: unknown[] }>(urlOf(flags), tokenOf(flags), 'PUT', `/admin/api/coord/parties/${encodeURIComponent(peer)}`, { kind });
      print(flags, io, r, () => io.out(`${peer} is now a coordination ${kind}`));
      return 0;
    },
  },
  {
    name: 'coord parties remove',
    usage: '<peer>',
    summary: 'takes a peer out of coordination (it stays enrolled)',
    options: API_OPTIONS,
    args: 1,
    async run(flags, args, io) {
      const peer = args[0];
      if (!peer) throw new CliError('usage: tieup coord parties remove <peer>', 2);
      const r = await apiCall<{ parties: unknown[] }>(urlOf(flags), tokenOf(flags), 'DELETE', `/admin/api/coord/parties/${encodeURIComponent(peer)}`);
      print(flags, io, r, () => io.out(`${peer} takes no part in coordination now`));
      return 0;
    },
  },
  {
    name: 'coord quote',
    usage: '--components "300 g flour, 2 each eggs" [--currency EUR] [--deadline-ms N]',
    summary: 'asks every supplier at once; prints each answer, and the suppliers left out (late or failed)',
    options: { ...API_OPTIONS, components: { type: 'string' }, currency: { type: 'string' }, 'deadline-ms': { type: 'string' } },
    async run(flags, _args, io) {
      const deadline = flags['deadline-ms'] === undefined ? undefined : Number(flags['deadline-ms']);
      const body = {
        request: { currency: (flags.currency as string | undefined) ?? 'EUR', components: componentsOf(need(flags, 'components')) },
        ...(deadline !== undefined ? { deadlineMs: deadline } : {}),
      };
      const { round } = await apiCall<{ round: QuoteRound }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/coord/quotes', body);
      print(flags, io, round, () => {
        io.out(`quote ${round.id}  (${round.elapsedMs} ms)`);
        for (const q of round.quotes) {
          io.out(`${q.supplier.id}  ${q.supplier.name}  until ${q.expiresAt}`);
          for (const o of q.offers) io.out(`  ${o.component}: ${o.product}, ${o.packSize.quantity} ${o.packSize.unit} ${o.packLabel}, ${formatMoney(o.pricePerPack)}, ${o.stockPacks} in stock`);
        }
        for (const m of round.missing) io.out(`left out: ${m.supplier} (${m.reason}: ${m.message})`);
        io.out(`plan it: tieup coord plan --quote ${round.id} --priority cheapest`);
      });
      return 0;
    },
  },
  {
    name: 'coord plan',
    usage: '--quote <id> [--priority cheapest,fewest_suppliers,fastest,preferred_supplier] [--preferred <supplier>]',
    summary: 'the optimal plan for a quote by the priorities in order of importance, explained',
    options: { ...API_OPTIONS, quote: { type: 'string' }, priority: { type: 'string' }, preferred: { type: 'string' } },
    async run(flags, _args, io) {
      const order = ((flags.priority as string | undefined) ?? 'cheapest').split(',').map((s) => s.trim());
      const priorities = { order, ...(flags.preferred ? { preferredSupplier: flags.preferred } : {}) };
      const r = await apiCall<{ plan: Plan; explanation: string[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/coord/plans', { quoteSetId: need(flags, 'quote'), priorities });
      print(flags, io, r, () => {
        for (const l of r.explanation) io.out(l);
      });
      return 0;
    },
  },
  {
    name: 'coord orders',
    usage: '[--group <id>]',
    summary: 'order groups with each supplier order and its state; with --group, also what each party was sent',
    options: { ...API_OPTIONS, group: { type: 'string' } },
    async run(flags, _args, io) {
      if (flags.group) {
        const r = await apiCall<{ group: GroupView; steps: { idempotencyKey: string; party: string; role: string; state: string; body: string }[] }>(
          urlOf(flags),
          tokenOf(flags),
          'GET',
          `/admin/api/coord/groups/${encodeURIComponent(flags.group as string)}`,
        );
        print(flags, io, r, () => {
          io.out(`${r.group.id}  ${r.group.state}  ${formatMoney(r.group.total)}`);
          for (const o of r.group.orders)
            io.out(`  ${o.id}  round ${o.round}  ${o.supplier}  ${o.part.fulfilment.method}/${o.payment}  ${formatMoney(o.part.total)}  ${o.state}${o.reason ? ` (${o.reason})` : ''}`);
          for (const s of r.steps) io.out(`  sent to ${s.party} (${s.role}) ${s.idempotencyKey} [${s.state}]: ${s.body}`);
        });
        return 0;
      }
      const r = await apiCall<{ groups: GroupView[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/coord/groups');
      print(flags, io, r, () => {
        for (const g of r.groups) io.out(`${g.id}  ${g.createdAt}  ${g.state}  ${formatMoney(g.total)}  ${g.orders.map((o) => `${o.supplier}:${o.state}`).join(' ')}`);
        if (!r.groups.length) io.out('no order group yet');
      });
      return 0;
    },
  },
]);
