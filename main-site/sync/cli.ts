import { API_OPTIONS, apiCall, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, print } from '../../common/cli/command.js';

type Outcome = { partner: string; outcome: string; detail: string; release?: number | null; blobsSent?: number };
type StatusRow = {
  id: string;
  status: string;
  partnershipType: string | null;
  contractProblem?: string;
  activeRelease: number | null;
  latestRelease: number | null;
  stagedRelease: number | null;
  stagedState: string | null;
  rejectReason: string | null;
  lastPush: { outcome: string; at: string } | null;
  drift: boolean;
  failing: boolean;
  nextScheduledPush: string | null;
  rollback?: { to: number; latest: number | null; by: string | null; text: string } | null;
};
type Delivery = { startedAt: string; partnerId: string; release: number | null; trigger: string; attempt: number; outcome: string | null; detail: string | null };

/** Publishing releases and pushing them, against the main site's console API. */
export const syncCli = defineCommands('Publishing and pushing (against the main site):', [
  {
    name: 'publish',
    usage: '[--note <text>]',
    summary: 'build a release from the content folder now',
    options: { ...API_OPTIONS, note: { type: 'string' } },
    async run(flags, _args, io) {
      const r = await apiCall<{ created: boolean; release: { number: number; files: number; note: string }; unpublished: string[]; collisions?: { partner: string; paths: string[] }[] }>(
        urlOf(flags),
        tokenOf(flags),
        'POST',
        '/admin/api/releases',
        {
          note: flags.note ?? '',
        },
      );
      print(flags, io, r, () => {
        io.out(r.created ? `published release ${r.release.number} (${r.release.files} files)` : `nothing changed; the latest release is still ${r.release.number}`);
        if (r.unpublished.length) io.out(`left out (published: false): ${r.unpublished.join(', ')}`);
        for (const c of r.collisions ?? []) io.out(`held back from ${c.partner}: its own pages use ${c.paths.join(', ')}`);
      });
      return 0;
    },
  },
  {
    name: 'push',
    usage: '(--partner <id> | --group <g> | --all) [--override-freeze] [--repair]',
    summary: 'push the latest release now; prints each outcome',
    options: { ...API_OPTIONS, partner: { type: 'string' }, group: { type: 'string' }, all: { type: 'boolean' }, 'override-freeze': { type: 'boolean' }, repair: { type: 'boolean' } },
    async run(flags, _args, io) {
      const base = { overrideFreeze: flags['override-freeze'] === true };
      let results: Outcome[];
      if (typeof flags.partner === 'string') {
        results = [
          await apiCall<Outcome>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/partners/${encodeURIComponent(flags.partner)}/push`, { ...base, ...(flags.repair ? { repair: true } : {}) }),
        ];
      } else if (flags.group || flags.all) {
        results = (await apiCall<{ results: Outcome[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/push', { ...base, ...(flags.all ? { all: true } : { group: flags.group }) })).results;
      } else {
        throw new CliError('say which partners: --partner <id>, --group <group> or --all', 2);
      }
      print(flags, io, results, () => {
        for (const r of results) io.out(`${r.partner.padEnd(12)} ${r.outcome.padEnd(10)} ${r.detail}`);
      });
      return results.every((r) => r.outcome !== 'failed') ? 0 : 1;
    },
  },
  {
    name: 'sync status',
    summary: 'per partner: serving, staged, last push, drift',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const r = await apiCall<{ partners: StatusRow[]; withoutSync?: { id: string; name: string | null }[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/sync');
      print(flags, io, r, () => {
        io.out(`${'partner'.padEnd(12)} ${'type'.padEnd(9)} ${'serving'.padEnd(8)} ${'staged'.padEnd(26)} ${'last push'.padEnd(10)} ${'integrity'.padEnd(9)} next push`);
        for (const p of r.partners) {
          const staged = p.stagedRelease ? `${p.stagedRelease} ${p.stagedState}${p.rejectReason ? `: ${p.rejectReason}` : ''}` : '-';
          io.out(
            `${p.id.padEnd(12)} ${(p.partnershipType ?? (p.contractProblem ? 'UNREADABLE' : '-')).padEnd(9)} ${String(p.activeRelease ?? '-').padEnd(8)} ${staged.slice(0, 26).padEnd(26)} ${(p.failing ? 'FAILING' : (p.lastPush?.outcome ?? 'never')).padEnd(10)} ${(p.drift ? 'DRIFTED' : 'ok').padEnd(9)} ${p.nextScheduledPush ?? '-'}`,
          );
          // A standing rollback is said in words under its row: the columns alone read like a partner waiting for a push.
          if (p.rollback) io.out(`${''.padEnd(12)} ${p.rollback.text}${p.rollback.by ? ` (by ${p.rollback.by})` : ''}`);
        }
        if (r.withoutSync?.length) io.out(`not push targets (no sync terms, no tie-up pages): ${r.withoutSync.map((p) => (p.name ? `${p.id} (${p.name})` : p.id)).join(', ')}`);
      });
      return 0;
    },
  },
  {
    name: 'deliveries',
    usage: '[--partner <id>] [--state <running|active|pending|noop|frozen|skipped|failed|superseded>] [--release <n>]',
    summary: 'the delivery log, filtered as on the console',
    options: { ...API_OPTIONS, partner: { type: 'string' }, state: { type: 'string' }, release: { type: 'string' } },
    async run(flags, _args, io) {
      const params = new URLSearchParams();
      for (const k of ['partner', 'state', 'release'] as const) if (typeof flags[k] === 'string') params.set(k, flags[k]);
      const q = params.size ? `?${params.toString()}` : '';
      const r = await apiCall<{ deliveries: Delivery[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/deliveries${q}`);
      print(flags, io, r, () => {
        for (const d of r.deliveries)
          io.out(
            `${d.startedAt}  ${d.partnerId.padEnd(10)} release ${String(d.release ?? '-').padEnd(4)} ${d.trigger.padEnd(8)} #${d.attempt} ${String(d.outcome ?? 'running').padEnd(9)} ${d.detail ?? ''}`,
          );
      });
      return 0;
    },
  },
]);
