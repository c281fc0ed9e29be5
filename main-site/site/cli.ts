import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, print, type CliCommand, type Flags } from '../../common/cli/command.js';
import { PEER_OPTIONS, peerBody, printPeer, type PeerView } from '../../common/cli/peers.js';

interface Pair {
  from: string;
  to: string;
  ok: boolean;
  skipped?: boolean;
  code?: string;
  message?: string;
  skewMs?: number;
  rttMs?: number;
}

/** partner suspend|activate|remove <id> */
const partnerStatus = (sub: 'suspend' | 'activate' | 'remove', summary: string): Omit<CliCommand, 'section'> => ({
  name: `partner ${sub}`,
  usage: '<id>',
  summary,
  options: API_OPTIONS,
  args: 1,
  async run(flags: Flags, [arg], io) {
    if (!arg) throw new CliError(`usage: tieup partner ${sub} <id>`, 2);
    const id = encodeURIComponent(arg);
    if (sub === 'remove') {
      await apiCall(urlOf(flags), tokenOf(flags), 'DELETE', `/admin/api/partners/${id}`);
      io.out(`removed ${arg}; its calls are refused from now on`);
    } else {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/partners/${id}/${sub}`, {});
      print(flags, io, p, () => printPeer(io, p));
    }
    return 0;
  },
});

/** Enrolling and checking partners, against the main site's console API. */
export const siteCli = defineCommands(`Partners (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'partner add',
    usage: '--id <id> --base-url <url> (--thumbprint <tp> [--jwks-url <url>] | --jwk <file>) [--name <display name>] [--contract <json>]',
    options: { ...API_OPTIONS, ...PEER_OPTIONS, contract: { type: 'string' } },
    async run(flags, _args, io) {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/partners', peerBody(flags));
      print(flags, io, p, () => {
        io.out('enrolled:');
        printPeer(io, p);
      });
      return 0;
    },
  },
  {
    name: 'partner list',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<{ partners: PeerView[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/partners');
      print(flags, io, r, () => (r.partners.length ? r.partners.forEach((p) => printPeer(io, p)) : io.out('no partners enrolled')));
      return 0;
    },
  },
  partnerStatus('suspend', "refuse the partner's calls at once"),
  partnerStatus('activate', 'accept them again'),
  partnerStatus('remove', 'forget the partner'),
  {
    name: 'partners check',
    summary: 'authenticated hello both ways for every partner;\nexit 0 only when every pair passes',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<{ ok: boolean; pairs: Pair[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/partners/check', {});
      print(flags, io, r, () => {
        if (r.pairs.length === 0) io.out('no partners enrolled');
        for (const p of r.pairs) {
          const pair = `${p.from} -> ${p.to}`.padEnd(22);
          if (p.skipped) io.out(`${pair} SKIP  ${p.message ?? ''}`);
          else if (p.ok) io.out(`${pair} OK    skew ${String(p.skewMs)} ms, round trip ${String(p.rttMs)} ms`);
          // A failing pair shows the clock skew too when it was measured (a clock refusal), not only passing ones.
          else io.out(`${pair} FAIL  ${p.code ?? ''}${p.skewMs === undefined ? '' : ` clock skew ${String(p.skewMs)} ms`} ${p.message ?? ''}`);
        }
      });
      return r.ok ? 0 : 1;
    },
  },
]);
