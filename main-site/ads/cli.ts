import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, print } from '../../common/cli/command.js';

interface AdView {
  id: string;
  advertiser: string;
  state: string;
  definition: { title: string; points: number };
  variant: string;
  paidTotal: number;
  delivered: number;
  reserved: number;
  cycleCount: number;
  cyclePaid: number;
}
interface LeaseView {
  id: string;
  ad: string;
  site: string;
  size: number;
  used: number;
  state: string;
  grantedAt: string;
  expiresAt: string;
}

/** Ads, leases and viewing points, against the main site's console API. */
export const adsCli = defineCommands(`Ads (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'ads',
    usage: '[--state <state>] [--pay <ad> --payment <id> --amount <minor> --currency <XXX> [--count N]]',
    summary: 'ads with state and counts (SC this cycle / paid); with --pay, records a payment',
    options: { ...API_OPTIONS, state: { type: 'string' }, pay: { type: 'string' }, payment: { type: 'string' }, amount: { type: 'string' }, currency: { type: 'string' }, count: { type: 'string' } },
    async run(flags, _args, io) {
      if (typeof flags.pay === 'string') {
        if (typeof flags.payment !== 'string' || typeof flags.amount !== 'string' || typeof flags.currency !== 'string') throw new CliError('--pay needs --payment, --amount and --currency');
        const body = { payment: flags.payment, amount: Number(flags.amount), currency: flags.currency, ...(typeof flags.count === 'string' ? { count: Number(flags.count) } : {}) };
        const r = await apiCall<{ ad: AdView; replayed: boolean }>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/ads/${encodeURIComponent(flags.pay)}/payments`, body);
        print(flags, io, r, () => io.out(`${r.ad.id}: payment ${String(flags.payment)} ${r.replayed ? 'was already recorded' : 'recorded'}; now ${r.ad.state}, ${r.ad.paidTotal} paid in all`));
        return 0;
      }
      const q = typeof flags.state === 'string' ? `?state=${encodeURIComponent(flags.state)}` : '';
      const r = await apiCall<{ ads: AdView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/ads${q}`);
      print(flags, io, r, () => {
        for (const a of r.ads)
          io.out(
            `${a.id}  ${a.definition.title}  [${a.advertiser}]  ${a.state}  SC ${a.cycleCount}/${a.cyclePaid}  delivered ${a.delivered} of ${a.paidTotal} paid  reserved ${a.reserved}  ${a.variant}  SP ${a.definition.points}`,
          );
        if (!r.ads.length) io.out('no ads');
      });
      return 0;
    },
  },
  {
    name: 'leases',
    usage: '[--ad <id>] [--site <id>] [--state open|lapsed|closed]',
    summary: 'quota leases granted to sites, newest first',
    options: { ...API_OPTIONS, ad: { type: 'string' }, site: { type: 'string' }, state: { type: 'string' } },
    async run(flags, _args, io) {
      const q = new URLSearchParams();
      for (const k of ['ad', 'site', 'state']) if (typeof flags[k] === 'string') q.set(k, flags[k]);
      const r = await apiCall<{ leases: LeaseView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/ads/leases?${q.toString()}`);
      print(flags, io, r, () => {
        for (const l of r.leases) io.out(`${l.id}  ${l.ad}  ${l.site}  ${l.used}/${l.size}  ${l.state}  granted ${l.grantedAt}  expires ${l.expiresAt}`);
        if (!r.leases.length) io.out('no leases');
      });
      return 0;
    },
  },
  {
    name: 'points',
    usage: '--user <id>',
    summary: "a shopper's viewing points: balance, credits (with what is left) and spends",
    options: { ...API_OPTIONS, user: { type: 'string' } },
    async run(flags, _args, io) {
      const user = flags.user;
      if (typeof user !== 'string' || !user) throw new CliError('usage: tieup points --user <id>');
      const r = await apiCall<{
        balance: number;
        earned: { ad: string; period: string; points: number; left: number; expiresAt: string; expired: boolean }[];
        spent: { ref: string; points: number; reason: string }[];
      }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/ads/points/${encodeURIComponent(user)}`);
      print(flags, io, r, () => {
        io.out(`balance ${r.balance} points`);
        for (const e of r.earned) io.out(`  earned ${e.points} for ${e.ad} (${e.period}), ${e.left} left${e.expired ? ', expired' : `, expires ${e.expiresAt}`}`);
        for (const s of r.spent) io.out(`  spent ${s.points} (${s.reason}, ${s.ref})`);
      });
      return 0;
    },
  },
]);
