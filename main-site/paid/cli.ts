import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, print } from '../../common/cli/command.js';

interface ItemView {
  id: string;
  title: string;
  supplier: string;
  category: string;
  minimumAge?: number;
  charge: { type: string; period?: string; price: { amount: number; currency: string } };
  addressPolicy: string;
  partners: 'all' | { id: string; from?: string }[];
  pages: string[];
}
interface KeyView {
  id: string;
  partner: string;
  userId: string;
  item: string;
  issuedAt: string;
  expiresAt: string;
  boundAddress: string | null;
  amount: number;
  currency: string;
}

/** Paid content, against the main site's console API. */
export const paidCli = defineCommands(`Paid content (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'paid items',
    summary: 'the paid items of the current release, with their charge and who may sell them',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<{ items: ItemView[]; problems: string[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/paid/items');
      print(flags, io, r, () => {
        for (const i of r.items) {
          const charge = `${i.charge.price.amount} ${i.charge.price.currency} ${i.charge.type === 'per_access' ? 'per access' : `per ${i.charge.period}`}`;
          const partners = i.partners === 'all' ? 'all partners' : i.partners.map((p) => (p.from ? `${p.id} from ${p.from}` : p.id)).join(', ');
          io.out(`${i.id}  ${i.title}  [${i.supplier}, ${i.category}${i.minimumAge ? `, ${i.minimumAge}+` : ''}]  ${charge}  address ${i.addressPolicy}  ${partners}  ${i.pages.length} page(s)`);
        }
        for (const p of r.problems) io.err(`problem: ${p}`);
        if (!r.items.length) io.out('no paid items');
      });
      return 0;
    },
  },
  {
    name: 'paid keys',
    usage: '[--partner <id>] [--item <id>] [--user <id>] [--limit N]',
    summary: 'keys issued, newest first, with their charge and binding (never the key itself)',
    options: { ...API_OPTIONS, partner: { type: 'string' }, item: { type: 'string' }, user: { type: 'string' }, limit: { type: 'string' } },
    async run(flags, _args, io) {
      const q = new URLSearchParams();
      for (const k of ['partner', 'item', 'user', 'limit']) if (typeof flags[k] === 'string') q.set(k, flags[k]);
      const r = await apiCall<{ keys: KeyView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/paid/keys?${q.toString()}`);
      print(flags, io, r, () => {
        for (const k of r.keys) io.out(`${k.id}  ${k.partner}/${k.userId}  ${k.item}  issued ${k.issuedAt}  expires ${k.expiresAt}  ${k.boundAddress ?? 'unused'}  ${k.amount} ${k.currency}`);
        if (!r.keys.length) io.out('no keys');
      });
      return 0;
    },
  },
  {
    name: 'paid revoke',
    usage: ['--key <key id>', '--partner <id> --user <id> --item <id>', '--partner <id>'],
    summary: "revokes one key, a shopper's keys for an item, or all of a partner's keys; in force from the next page",
    options: { ...API_OPTIONS, key: { type: 'string' }, partner: { type: 'string' }, user: { type: 'string' }, item: { type: 'string' }, reason: { type: 'string' } },
    async run(flags, _args, io) {
      const s = (k: string) => (typeof flags[k] === 'string' ? flags[k] : undefined);
      const scope = s('key') ? 'key' : s('user') || s('item') ? 'user_item' : s('partner') ? 'partner' : undefined;
      if (!scope) throw new CliError('give --key, or --partner with --user and --item, or --partner alone', 2);
      const r = await apiCall<{ revocation: { id: number; scope: string; effectiveAt: string } }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/paid/revocations', {
        scope,
        keyId: s('key'),
        partner: s('partner'),
        userId: s('user'),
        item: s('item'),
        reason: s('reason'),
      });
      print(flags, io, r, () => io.out(`revoked (${r.revocation.scope}) from ${r.revocation.effectiveAt}`));
      return 0;
    },
  },
]);
