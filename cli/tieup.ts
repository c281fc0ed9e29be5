#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { generateSiteKeys, readKeyset, rotateSiteKeys } from '../common/keys/keystore.js';
import { SITE_ID_RE } from '../common/site/enrolment.js';
import { apiCall, CliError, DEFAULT_URL } from './http.js';
import { auditExport, auditProve, auditVerify, auditVerifyProof } from './audit.js';
import { feesRecompute } from './fees.js';
import { formatMoney } from '../common/money.js';

const HELP = `tieup: operate a Tieup main/partner network

Usage: tieup <command> [options]

Keys (local files under --keys-dir, default ./keys):
  keys generate --site <id>                 create the site's first Ed25519 key (no-op if it has one)
  keys rotate --site <id> [--grace <s>]     make a new current key; the previous one stays valid
                                            for --grace seconds (default TIEUP_KEY_GRACE_SECONDS or 86400).
                                            A running site picks it up and announces it to its peers.
  keys show --site <id>                     print the site's key thumbprints (give them to peers' operators)

Partners (against the main site's API, --url default ${DEFAULT_URL}):
  partner add --id <id> --base-url <url> (--thumbprint <tp> | --jwk <file>) [--contract <json>]
  partner list
  partner suspend|activate|remove <id>
  partners check                            authenticated hello both ways for every partner;
                                            exit 0 only when every pair passes

Publishing and pushing (against the main site):
  publish [--note <text>]                   build a release from the content folder now
  push (--partner <id> | --group <g> | --all) [--override-freeze] [--repair]
                                            push the latest release now; prints each outcome
  sync status                               per partner: serving, staged, last push, drift
  deliveries [--partner <id>]               the delivery log

Audit (export against the main site; the rest offline):
  audit export --site <id> [--from <ISO>] [--to <ISO>] [--with-contract] --out <file>
  audit verify <file> [--keys <jwks.json>]...   recompute leaves, chain, roots, signatures;
                                            exit 0, or 10 altered, 11 missing, 12 reordered,
                                            13 truncated, 14 fork, 15 bad signature,
                                            16 unknown key, 17 no checkpoint, 18 malformed
  audit prove --file <bundle> --index <n> [--size <n>]   inclusion proof (JSON)
  audit prove --file <bundle> --from <size> [--size <n>] consistency proof (JSON)
  audit verify-proof <proof.json>

Fees:
  fees recompute --bundle <audit export> --period YYYY-MM [--contract <file>] [--statement <file>] [--offline]
                                            recompute a statement from a verified bundle alone and compare it
                                            line by line with the stored one (--url, or --statement); exit 0 if equal
  fees statements [--period YYYY-MM]        statements of all partners (against the main site)
  fees close --period YYYY-MM               freeze every partner's statement for the period

Main site (against a partner's API, --url is the partner):
  main set --id <id> --base-url <url> (--thumbprint <tp> | --jwk <file>)
  main show

Demo:
  demo                                      the demo network on loopback (what npm start runs)

Common options:
  --url <url>       site to talk to (default ${DEFAULT_URL})
  --token <token>   API bearer token (default TIEUP_TOKEN, else TIEUP_DEMO_TOKEN)
  --json            print raw JSON
  -h, --help        this help
`;

const OPTIONS = {
  site: { type: 'string' },
  grace: { type: 'string' },
  'keys-dir': { type: 'string' },
  id: { type: 'string' },
  'base-url': { type: 'string' },
  thumbprint: { type: 'string' },
  jwk: { type: 'string' },
  note: { type: 'string' },
  partner: { type: 'string' },
  group: { type: 'string' },
  all: { type: 'boolean' },
  'override-freeze': { type: 'boolean' },
  repair: { type: 'boolean' },
  out: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'with-contract': { type: 'boolean' },
  keys: { type: 'string', multiple: true },
  file: { type: 'string' },
  index: { type: 'string' },
  size: { type: 'string' },
  bundle: { type: 'string' },
  period: { type: 'string' },
  contract: { type: 'string' },
  statement: { type: 'string' },
  offline: { type: 'boolean' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Flags = Record<string, string | boolean | string[] | undefined>;

function need(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new CliError(`--${name} is required (see tieup --help)`, 2);
  return v;
}

function siteFlag(flags: Flags): string {
  const site = need(flags, 'site');
  if (!SITE_ID_RE.test(site)) throw new CliError(`--site "${site}" is not a valid site id (lowercase letters, digits, "-")`, 2);
  return site;
}

const keysDir = (flags: Flags): string => (flags['keys-dir'] as string | undefined) ?? process.env.TIEUP_KEYS_DIR ?? 'keys';
const urlOf = (flags: Flags): string => (flags.url as string | undefined) || DEFAULT_URL;
const tokenOf = (flags: Flags): string | undefined => (flags.token as string | undefined) || process.env.TIEUP_TOKEN || process.env.TIEUP_DEMO_TOKEN || undefined;

function peerBody(flags: Flags): Record<string, unknown> {
  const body: Record<string, unknown> = { id: need(flags, 'id'), baseUrl: need(flags, 'base-url') };
  if (typeof flags.thumbprint === 'string') body.thumbprint = flags.thumbprint;
  if (typeof flags.jwk === 'string') {
    try {
      body.keys = [JSON.parse(readFileSync(flags.jwk, 'utf8'))];
    } catch (err) {
      throw new CliError(`cannot read --jwk ${flags.jwk}: ${(err as Error).message}`, 2);
    }
  }
  if (!body.thumbprint && !body.keys) throw new CliError('give the peer key: --thumbprint <tp> (from its console or "tieup keys show") or --jwk <public key file>', 2);
  if (typeof flags.contract === 'string') {
    try {
      body.contract = JSON.parse(flags.contract);
    } catch {
      throw new CliError('--contract must be a JSON object', 2);
    }
  }
  return body;
}

function print(flags: Flags, value: unknown, human: () => void): void {
  if (flags.json) console.log(JSON.stringify(value, null, 2));
  else human();
}

interface PeerView {
  id: string;
  baseUrl: string;
  status: string;
  keys: { thumbprint: string; validUntil: string | null }[];
  lastHello: { ok: boolean; code?: string; skewMs?: number } | null;
}

function printPeer(p: PeerView): void {
  const hello = !p.lastHello ? 'never checked' : p.lastHello.ok ? `last hello OK (skew ${p.lastHello.skewMs} ms)` : `last hello FAILED ${p.lastHello.code}`;
  console.log(`${p.id.padEnd(12)} ${p.status.padEnd(10)} ${p.baseUrl.padEnd(28)} ${hello}`);
  for (const k of p.keys) console.log(`${''.padEnd(12)} key ${k.thumbprint}${k.validUntil ? ` (until ${k.validUntil})` : ''}`);
}

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

async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [cmd, sub, arg] = positionals;
  if (flags.help || !cmd) {
    console.log(HELP);
    return cmd || flags.help ? 0 : 2;
  }
  switch (`${cmd} ${sub ?? ''}`.trim()) {
    case 'keys generate': {
      const site = siteFlag(flags);
      const { created, keyset } = await generateSiteKeys(keysDir(flags), site);
      console.log(created ? `generated key ${keyset.current} for ${site}` : `${site} already has keys (current ${keyset.current}); nothing changed`);
      return 0;
    }
    case 'keys rotate': {
      const site = siteFlag(flags);
      const grace = Number(flags.grace ?? process.env.TIEUP_KEY_GRACE_SECONDS ?? 86400);
      if (!Number.isInteger(grace) || grace < 0) throw new CliError('--grace must be a whole number of seconds', 2);
      const r = await rotateSiteKeys(keysDir(flags), site, grace);
      console.log(`${site}: new current key ${r.newKid}; previous key ${r.previousKid} stays valid for ${grace} s.`);
      console.log('A running site reloads its keys and announces the new key to its peers, signed with the key they already trust.');
      return 0;
    }
    case 'keys show': {
      const site = siteFlag(flags);
      const ks = readKeyset(keysDir(flags), site);
      if (!ks) throw new CliError(`no keys for ${site}; run "tieup keys generate --site ${site}"`);
      print(flags, ks, () => {
        for (const k of ks.keys) console.log(`${k.kid}  ${k.kid === ks.current ? 'current' : `previous, valid until ${k.retiresAt}`}`);
      });
      return 0;
    }
    case 'partner add': {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/partners', peerBody(flags));
      print(flags, p, () => {
        console.log('enrolled:');
        printPeer(p);
      });
      return 0;
    }
    case 'partner list': {
      const r = await apiCall<{ partners: PeerView[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/partners');
      print(flags, r, () => (r.partners.length ? r.partners.forEach(printPeer) : console.log('no partners enrolled')));
      return 0;
    }
    case 'partner suspend':
    case 'partner activate':
    case 'partner remove': {
      if (!arg) throw new CliError(`usage: tieup partner ${sub} <id>`, 2);
      const id = encodeURIComponent(arg);
      if (sub === 'remove') {
        await apiCall(urlOf(flags), tokenOf(flags), 'DELETE', `/admin/api/partners/${id}`);
        console.log(`removed ${arg}; its calls are refused from now on`);
      } else {
        const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/partners/${id}/${sub}`);
        print(flags, p, () => printPeer(p));
      }
      return 0;
    }
    case 'partners check': {
      const r = await apiCall<{ ok: boolean; pairs: Pair[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/partners/check');
      print(flags, r, () => {
        if (r.pairs.length === 0) console.log('no partners enrolled');
        for (const p of r.pairs) {
          const pair = `${p.from} -> ${p.to}`.padEnd(22);
          if (p.skipped) console.log(`${pair} SKIP  ${p.message ?? ''}`);
          else if (p.ok) console.log(`${pair} OK    skew ${String(p.skewMs)} ms, round trip ${String(p.rttMs)} ms`);
          else console.log(`${pair} FAIL  ${p.code ?? ''} ${p.message ?? ''}`);
        }
      });
      return r.ok ? 0 : 1;
    }
    case 'publish': {
      const r = await apiCall<{ created: boolean; release: { number: number; files: number; note: string }; unpublished: string[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/releases', { note: flags.note ?? '' });
      print(flags, r, () => {
        console.log(r.created ? `published release ${r.release.number} (${r.release.files} files)` : `nothing changed; the latest release is still ${r.release.number}`);
        if (r.unpublished.length) console.log(`left out (published: false): ${r.unpublished.join(', ')}`);
      });
      return 0;
    }
    case 'push': {
      const base = { overrideFreeze: flags['override-freeze'] === true };
      type Outcome = { partner: string; outcome: string; detail: string; release?: number | null; blobsSent?: number };
      let results: Outcome[];
      if (typeof flags.partner === 'string') {
        results = [await apiCall<Outcome>(urlOf(flags), tokenOf(flags), 'POST', `/admin/api/partners/${encodeURIComponent(flags.partner)}/push`, { ...base, ...(flags.repair ? { repair: true } : {}) })];
      } else if (flags.group || flags.all) {
        results = (await apiCall<{ results: Outcome[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/push', { ...base, ...(flags.all ? { all: true } : { group: flags.group }) })).results;
      } else {
        throw new CliError('say which partners: --partner <id>, --group <group> or --all', 2);
      }
      print(flags, results, () => {
        for (const r of results) console.log(`${r.partner.padEnd(12)} ${r.outcome.padEnd(10)} ${r.detail}`);
      });
      return results.every((r) => r.outcome !== 'failed') ? 0 : 1;
    }
    case 'sync status': {
      type Row = { id: string; status: string; partnershipType: string | null; contractProblem?: string; activeRelease: number | null; latestRelease: number | null; stagedRelease: number | null; stagedState: string | null; rejectReason: string | null; lastPush: { outcome: string; at: string } | null; drift: boolean; failing: boolean; nextScheduledPush: string | null };
      const r = await apiCall<{ partners: Row[] }>(urlOf(flags), tokenOf(flags), 'GET', '/admin/api/sync');
      print(flags, r, () => {
        console.log(`${'partner'.padEnd(12)} ${'type'.padEnd(9)} ${'serving'.padEnd(8)} ${'staged'.padEnd(26)} ${'last push'.padEnd(10)} ${'integrity'.padEnd(9)} next push`);
        for (const p of r.partners) {
          const staged = p.stagedRelease ? `${p.stagedRelease} ${p.stagedState}${p.rejectReason ? `: ${p.rejectReason}` : ''}` : '-';
          console.log(`${p.id.padEnd(12)} ${(p.partnershipType ?? (p.contractProblem ? 'UNREADABLE' : '-')).padEnd(9)} ${String(p.activeRelease ?? '-').padEnd(8)} ${staged.slice(0, 26).padEnd(26)} ${(p.failing ? 'FAILING' : (p.lastPush?.outcome ?? 'never')).padEnd(10)} ${(p.drift ? 'DRIFTED' : 'ok').padEnd(9)} ${p.nextScheduledPush ?? '-'}`);
        }
      });
      return 0;
    }
    case 'deliveries': {
      type D = { startedAt: string; partnerId: string; release: number | null; trigger: string; attempt: number; outcome: string | null; detail: string | null };
      const q = typeof flags.partner === 'string' ? `?partner=${encodeURIComponent(flags.partner)}` : '';
      const r = await apiCall<{ deliveries: D[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/deliveries${q}`);
      print(flags, r, () => {
        for (const d of r.deliveries) console.log(`${d.startedAt}  ${d.partnerId.padEnd(10)} release ${String(d.release ?? '-').padEnd(4)} ${d.trigger.padEnd(8)} #${d.attempt} ${String(d.outcome ?? 'running').padEnd(9)} ${d.detail ?? ''}`);
      });
      return 0;
    }
    case 'main set': {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'PUT', '/manage/api/main', peerBody(flags));
      print(flags, p, () => printPeer(p));
      return 0;
    }
    case 'main show': {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'GET', '/manage/api/main');
      print(flags, p, () => printPeer(p));
      return 0;
    }
    case 'audit export':
      return auditExport(urlOf(flags), tokenOf(flags), flags);
    case 'audit verify':
      return auditVerify(arg, flags);
    case 'audit prove':
      return auditProve(flags);
    case 'audit verify-proof':
      return auditVerifyProof(arg);
    case 'fees recompute':
      return feesRecompute(urlOf(flags), tokenOf(flags), flags);
    case 'fees statements': {
      const q = typeof flags.period === 'string' ? `?period=${encodeURIComponent(flags.period)}` : '';
      const r = await apiCall<{ period: string; statements: { partner: string; status: string; total: number; currency: string; lines: { name: string; amount: number }[] }[] }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/fees/statements${q}`);
      print(flags, r, () => {
        if (!r.statements.length) console.log(`no partner has a fee contract (period ${r.period})`);
        for (const s of r.statements) {
          console.log(`${s.partner} ${r.period} (${s.status}): ${formatMoney({ amount: s.total, currency: s.currency })}`);
          for (const l of s.lines) console.log(`    ${l.name.padEnd(48)} ${formatMoney({ amount: l.amount, currency: s.currency }).padStart(14)}`);
        }
      });
      return 0;
    }
    case 'fees close': {
      if (typeof flags.period !== 'string') throw new CliError('usage: tieup fees close --period YYYY-MM', 2);
      const r = await apiCall<{ statements: { partner: string; total: number; currency: string; hash: string }[] }>(urlOf(flags), tokenOf(flags), 'POST', '/admin/api/fees/close', { period: flags.period });
      print(flags, r, () => r.statements.forEach((s) => console.log(`${s.partner} ${flags.period} closed: ${formatMoney({ amount: s.total, currency: s.currency })}, hash ${s.hash}`)));
      return 0;
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      await runDemo();
      return -1;
    }
    default:
      throw new CliError(`unknown command "${positionals.join(' ')}"; see tieup --help`, 2);
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      console.error(`tieup: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`tieup: ${(err as Error).message}\nsee tieup --help`);
      process.exitCode = 2;
    } else {
      console.error(`tieup: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
