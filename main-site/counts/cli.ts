import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../common/cli/api.js';
import { CliError, defineCommands, need, print, type CliIo, type Flags } from '../../common/cli/command.js';
import { TRUST_OPTIONS, TRUST_USAGE, trustFromFlags } from '../../common/logchain/trust.js';
import { countsFromBundle } from '../../common/counts/index.js';

interface Overview {
  key: string;
  item: { title: string; supplier: string; pricePoints: number | null } | null;
  count: number;
  bySite: { site: string; count: number; checkpointSize: number }[];
  rules: RuleView[];
}
interface RuleView {
  id: number;
  item: string;
  mode: string;
  n: number;
  action: string;
  webhooks: string[];
  floor: number;
}
interface EventView {
  id: number;
  ruleId: number;
  threshold: number;
  item: string;
  supplier: string;
  action: string;
  firedAt: string;
  site: string;
  entryIndex: number;
  checkpointSize: number;
  noticeId: string | null;
}

const intFlag = (flags: Flags, name: string): number | undefined => {
  const v = flags[name];
  if (typeof v !== 'string') return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`--${name} must be a whole number`, 2);
  return Number(v);
};
/**
 * Recounts one site's deliveries from its audit bundle (verified against
 * pinned keys, as `tieup audit verify`) and compares them with the main
 * site's counts of that site, up to the checkpoint those rest on. Only the
 * built-in kinds (page, product, paid): counters other capabilities register
 * are theirs to recount.
 */
async function recompute(flags: Flags, io: CliIo): Promise<number> {
  const file = need(flags, 'bundle');
  const { readBundleFile, verifyBundle, EXIT_CODES } = await import('../../common/logchain/audit.js');
  let bundle: Buffer;
  try {
    bundle = readBundleFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
  const r = verifyBundle(bundle, trustFromFlags(flags));
  for (const w of r.warnings) io.err(`warning: ${w}`);
  if (!r.tree) {
    io.err(`FAILED: the bundle does not verify (${r.reason}: ${r.message})`);
    return EXIT_CODES[r.reason!];
  }
  const site = r.summary.site;
  const verified = r.summary.verifiedSize;
  const main = await apiCall<{ items: Overview[]; cursors: { site: string; size: number }[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/counts');
  const size = main.cursors.find((c) => c.site === site)?.size ?? 0;
  if (size > verified) {
    io.err(`the main site has counted ${size} entries of ${site}'s log; the bundle verifies only ${verified}: export a newer bundle`);
    return EXIT_CODES.stale;
  }
  const mine = countsFromBundle(bundle, size);
  const builtIn = (key: string) => /^(page|product|paid):/.test(key);
  const theirs = new Map<string, number>();
  for (const o of main.items) for (const s of o.bySite) if (s.site === site && builtIn(o.key)) theirs.set(o.key, s.count);
  const keys = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
  const differ = keys.filter((k) => (mine.get(k) ?? 0) !== (theirs.get(k) ?? 0));
  if (flags.json) io.out(JSON.stringify({ site, size, items: keys.map((k) => ({ item: k, bundle: mine.get(k) ?? 0, main: theirs.get(k) ?? 0 })) }, null, 2));
  else {
    for (const k of differ) io.err(`DIFFERS: ${k}: ${mine.get(k) ?? 0} in the bundle, ${theirs.get(k) ?? 0} at the main site`);
    io.out(`${site}: ${keys.length} item(s) recounted from entries [0, ${size}) of the bundle; ${differ.length ? `${differ.length} differ` : "all equal to the main site's counts"}`);
  }
  return differ.length ? 1 : 0;
}

const itemQuery = (flags: Flags) => (typeof flags.item === 'string' ? `?item=${encodeURIComponent(flags.item)}` : '');

/** Delivery counts and event rules, against the main site's console API. */
export const countsCli = defineCommands(`Delivery counts and event rules (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'counts',
    usage: '[--item <key>]',
    summary: 'deliveries per item and site, from verified logs, with the checkpoint size each rests on',
    options: { ...API_OPTIONS, item: { type: 'string' } },
    async run(flags, _args, io) {
      const r = await apiCall<{ items: Overview[]; cursors: { site: string; size: number }[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/counts${itemQuery(flags)}`);
      print(flags, io, r, () => {
        for (const o of r.items) {
          io.out(`${o.key}  ${o.item ? `${o.item.title} [${o.item.supplier}]` : '(not registered)'}  ${o.count} deliveries  ${o.rules.length} rule(s)`);
          for (const s of o.bySite) io.out(`  ${s.site}: ${s.count} (checkpoint ${s.checkpointSize})`);
        }
        if (!r.items.length) io.out('no counted items');
        io.out(`counted: ${r.cursors.map((c) => `${c.site} ${c.size}`).join(', ') || 'nothing yet'}`);
      });
      return 0;
    },
  },
  {
    name: 'counts item',
    usage: '--key <kind:id> --title <text> --supplier <party id> [--price-points N]',
    summary: "registers (or changes) a counted item: its supplier's party and its price in points",
    options: { ...API_OPTIONS, key: { type: 'string' }, title: { type: 'string' }, supplier: { type: 'string' }, 'price-points': { type: 'string' } },
    async run(flags, _args, io) {
      const body = { key: need(flags, 'key'), title: need(flags, 'title'), supplier: need(flags, 'supplier'), pricePoints: intFlag(flags, 'price-points') ?? null };
      const r = await apiCall<{ item: { key: string } }>(urlOf(flags), tokenOf(flags), 'PUT', '/admin/api/counts/items', body);
      print(flags, io, r, () => io.out(`saved ${r.item.key}`));
      return 0;
    },
  },
  {
    name: 'counts agreement',
    usage: '--party <party id> [--rate-bps N --point-value N --currency XXX]',
    summary: "a supplier's revenue-share agreement (rate, point value); with the\nvalues, records them as its next version",
    options: { ...API_OPTIONS, party: { type: 'string' }, 'rate-bps': { type: 'string' }, 'point-value': { type: 'string' }, currency: { type: 'string' } },
    async run(flags, _args, io) {
      const party = encodeURIComponent(need(flags, 'party'));
      const setting = ['rate-bps', 'point-value', 'currency'].some((k) => typeof flags[k] === 'string');
      const body = setting ? { version: 1, rateBps: intFlag(flags, 'rate-bps'), pointValue: intFlag(flags, 'point-value'), currency: flags.currency } : undefined;
      type Answer = { agreement: { version: number; terms: { rateBps: number; pointValue: number; currency: string } } | null };
      const r = await apiCall<Answer>(urlOf(flags), tokenOf(flags), setting ? 'PUT' : 'GET', `/admin/api/counts/agreements/${party}`, body);
      print(flags, io, r, () => {
        const a = r.agreement;
        io.out(a ? `version ${a.version}: rate ${a.terms.rateBps / 100} %, one point = ${a.terms.pointValue} minor units of ${a.terms.currency}` : 'no agreement');
      });
      return 0;
    },
  },
  {
    name: 'counts events',
    usage: '[--item <key>] [--supplier <party id>]',
    summary: 'fired events, newest first, each with the delivery (site, log index) and checkpoint it rests on',
    options: { ...API_OPTIONS, item: { type: 'string' }, supplier: { type: 'string' } },
    async run(flags, _args, io) {
      const q = new URLSearchParams();
      for (const k of ['item', 'supplier']) if (typeof flags[k] === 'string') q.set(k, flags[k]);
      const r = await apiCall<{ events: EventView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/counts/events?${q.toString()}`);
      print(flags, io, r, () => {
        for (const e of r.events) io.out(`${e.firedAt}  ${e.item}  ${e.action} at ${e.threshold}  rule ${e.ruleId}  -> ${e.supplier}  (${e.site}#${e.entryIndex}, checkpoint ${e.checkpointSize})`);
        if (!r.events.length) io.out('no events fired');
      });
      return 0;
    },
  },
  {
    name: 'counts recompute',
    usage: `--bundle <audit export> ${TRUST_USAGE}`,
    summary: "recount a site's deliveries from its verified audit bundle and\ncompare them with the main site's counts (--url); exit 0 if equal",
    options: { ...API_OPTIONS, bundle: { type: 'string' }, ...TRUST_OPTIONS },
    run: (flags, _args, io) => recompute(flags, io),
  },
  {
    name: 'rules',
    usage: '[--item <key>]',
    summary: 'the event rules in force',
    options: { ...API_OPTIONS, item: { type: 'string' } },
    async run(flags, _args, io) {
      const r = await apiCall<{ rules: RuleView[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/counts/rules${itemQuery(flags)}`);
      print(flags, io, r, () => {
        for (const x of r.rules)
          io.out(`${x.id}  ${x.item}  ${x.mode} ${x.n}  ${x.action}${x.webhooks.length ? `  webhooks: ${x.webhooks.join(' ')}` : ''}${x.floor ? `  (from count ${x.floor})` : ''}`);
        if (!r.rules.length) io.out('no rules');
      });
      return 0;
    },
  },
  {
    name: 'rules add',
    usage: '--item <key> (--every N | --only N) --action status_report|new_content|revenue_statement|webhooks_only [--webhook URL ...]',
    summary: 'sets a rule on an item: every N deliveries, or only at N',
    options: { ...API_OPTIONS, item: { type: 'string' }, every: { type: 'string' }, only: { type: 'string' }, action: { type: 'string' }, webhook: { type: 'string', multiple: true } },
    async run(flags, _args, io) {
      const every = intFlag(flags, 'every');
      const only = intFlag(flags, 'only');
      if ((every === undefined) === (only === undefined)) throw new CliError('give one of --every N and --only N', 2);
      const webhooks = Array.isArray(flags.webhook) ? flags.webhook.filter((w): w is string => typeof w === 'string') : [];
      const body = { item: need(flags, 'item'), mode: every !== undefined ? 'every' : 'only', n: every ?? only, action: need(flags, 'action'), webhooks };
      const r = await apiCall<{ rule: RuleView }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/counts/rules', body);
      print(flags, io, r, () => io.out(`rule ${r.rule.id}: ${r.rule.item} ${r.rule.mode} ${r.rule.n} ${r.rule.action}`));
      return 0;
    },
  },
  {
    name: 'rules remove',
    usage: '<rule id>',
    summary: 'removes a rule (the events it fired stay in the history)',
    options: API_OPTIONS,
    args: 1,
    async run(flags, args, io) {
      const id = args[0] ?? '';
      if (!/^\d+$/.test(id)) throw new CliError('give the rule id (see tieup rules)', 2);
      const r = await apiCall<{ removed: number }>(urlOf(flags), tokenOf(flags), 'DELETE', `/admin/api/counts/rules/${id}`);
      print(flags, io, r, () => io.out(`removed rule ${r.removed}`));
      return 0;
    },
  },
]);
