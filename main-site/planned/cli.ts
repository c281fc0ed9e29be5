import { readFileSync } from 'node:fs';
import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, need, print } from '../../common/cli/command.js';

interface ApplicationView {
  id: string;
  email: string;
  displayName: string;
  slug: string;
  status: string;
  createdAt: string;
}
interface PlannerView {
  partyId: string;
  slug: string;
  displayName: string;
  carriedBy: unknown;
  contract: { version: number; effectiveFrom: string } | null;
  pages: number;
}
interface PageView {
  id: string;
  planner: string;
  state: string;
  title: string;
  openedAt: string | null;
  contributions: number;
}
interface ContributionView {
  id: string;
  page: string;
  contributor: string;
  kind: string;
  title: string;
  state: string;
  reason: string | null;
  size: number;
}

const json = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
};

/** Planners, planned pages and contributions, against the main site's console API. */
export const plannedCli = defineCommands(`Planned pages (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'planners',
    usage: ['[--applications]', 'approve <application> --contract <terms.json> [--carried-by all|none|north,south]', 'reject <application> --reason <text>'],
    summary: 'planners with their contract version and home page; --applications lists applications;\napprove one with the contract terms in a JSON file, or reject it with a reason',
    options: { ...API_OPTIONS, applications: { type: 'boolean' }, contract: { type: 'string' }, 'carried-by': { type: 'string' }, reason: { type: 'string' } },
    args: 2,
    async run(flags, args, io) {
      const url = urlOf(flags);
      const token = tokenOf(flags);
      const [verb, id] = args;
      if (verb === 'approve' || verb === 'reject') {
        if (!id) throw new CliError(`usage: tieup planners ${verb} <application>`, 2);
        const body =
          verb === 'approve'
            ? {
                terms: json(need(flags, 'contract')),
                carriedBy: typeof flags['carried-by'] === 'string' ? (['all', 'none'].includes(flags['carried-by']) ? flags['carried-by'] : flags['carried-by'].split(',')) : 'all',
              }
            : { reason: need(flags, 'reason') };
        const r = await apiCall<Record<string, unknown>>(url, token, 'POST', `/admin/api/planned/applications/${encodeURIComponent(id)}/${verb}`, body);
        print(flags, io, r, () =>
          io.out(verb === 'approve' ? `approved ${id}: planner ${(r.planner as PlannerView).partyId}, contract version ${(r.contract as { version: number }).version}` : `rejected ${id}`),
        );
        return 0;
      }
      if (verb !== undefined) throw new CliError(`unknown planners command "${verb}"`, 2);
      if (flags.applications) {
        const r = await apiCall<{ applications: ApplicationView[] }>(url, token, 'GET', '/admin/api/planned/applications');
        print(flags, io, r, () => {
          for (const a of r.applications) io.out(`${a.id}  ${a.status}  ${a.displayName} <${a.email}>  /planners/${a.slug}  ${a.createdAt}`);
          if (!r.applications.length) io.out('no applications');
        });
        return 0;
      }
      const r = await apiCall<{ planners: PlannerView[] }>(url, token, 'GET', '/admin/api/planned/planners');
      print(flags, io, r, () => {
        for (const p of r.planners)
          io.out(
            `${p.partyId}  ${p.displayName}  /planners/${p.slug}  contract ${p.contract ? `v${p.contract.version} from ${p.contract.effectiveFrom}` : 'none'}  carried by ${JSON.stringify(p.carriedBy)}  ${p.pages} page(s)`,
          );
        if (!r.planners.length) io.out('no planners');
      });
      return 0;
    },
  },
  {
    name: 'pages',
    usage: '[--state draft|open|closed]',
    summary: 'planned pages with their planner, state and number of contributions',
    options: { ...API_OPTIONS, state: { type: 'string' } },
    async run(flags, _args, io) {
      const q = typeof flags.state === 'string' ? `?state=${encodeURIComponent(flags.state)}` : '';
      const r = await apiCall<{ pages: PageView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/pages${q}`);
      print(flags, io, r, () => {
        for (const p of r.pages) io.out(`${p.id}  ${p.state}  ${p.title}  planner ${p.planner}  ${p.contributions} contribution(s)${p.openedAt ? `  opened ${p.openedAt}` : ''}`);
        if (!r.pages.length) io.out('no planned pages');
      });
      return 0;
    },
  },
  {
    name: 'contributions',
    usage: '[--page <id>] [--state pending|accepted|rejected]',
    summary: 'contributions (titles, states, sizes; never their content)',
    options: { ...API_OPTIONS, page: { type: 'string' }, state: { type: 'string' } },
    async run(flags, _args, io) {
      const q = new URLSearchParams();
      for (const k of ['page', 'state']) if (typeof flags[k] === 'string') q.set(k, flags[k]);
      const r = await apiCall<{ contributions: ContributionView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/planned/contributions?${q.toString()}`);
      print(flags, io, r, () => {
        for (const c of r.contributions) io.out(`${c.id}  ${c.state}  ${c.kind}  ${c.title}  page ${c.page}  by ${c.contributor}  ${c.size} bytes${c.reason ? `  reason: ${c.reason}` : ''}`);
        if (!r.contributions.length) io.out('no contributions');
      });
      return 0;
    },
  },
]);
