#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DEFAULT_URL } from '../common/cli/api.js';
import { CliError, defineCommands, type CliCommand, type CliIo, type CliOptions } from '../common/cli/command.js';
import { MAIN_SITE } from '../main-site/server.js';
import { PARTNER_SITE } from '../partner-site/server.js';
import { keysCli } from './keys.js';
import { modulesCli } from './modules.js';

/**
 * tieup: one CLI for operators and auditors. The ground floor's commands are
 * here (keys, modules, demo); every capability contributes its own through its
 * module's `cli` field. Importing the site definitions starts no server.
 */
const SITES = [MAIN_SITE, PARTNER_SITE];

const demoCli = defineCommands('Demo:', [
  {
    name: 'demo',
    summary: 'the demo network on loopback (what npm start runs)',
    async run() {
      const { runDemo } = await import('./demo.js');
      await runDemo();
      return -1;
    },
  },
]);

const GROUND_COMMANDS: CliCommand[] = [...keysCli, ...modulesCli(SITES, () => GROUND_COMMANDS), ...demoCli];

/** Every command: the keys, each module's of the main site then of a partner (in module order), then the rest of the ground floor's. */
const COMMANDS: CliCommand[] = [...keysCli, ...SITES.flatMap((s) => s.modules.flatMap((m) => m.cli ?? [])), ...GROUND_COMMANDS.filter((c) => !keysCli.includes(c))];

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies CliOptions;

/** The union of every command's options: one parse finds the command, then each command accepts only its own. */
function allOptions(commands: readonly CliCommand[]): CliOptions {
  const all: CliOptions = { ...HELP_OPTION };
  const names = new Set<string>();
  for (const c of commands) {
    if (names.has(c.name)) throw new Error(`two commands are named "tieup ${c.name}"`);
    names.add(c.name);
    for (const [name, o] of Object.entries(c.options ?? {})) {
      const seen = all[name];
      if (seen && JSON.stringify(seen) !== JSON.stringify(o)) throw new Error(`option --${name} means different things to different commands (tieup ${c.name})`);
      all[name] = o;
    }
  }
  return all;
}

const COLUMN = 44;

function helpLines(c: CliCommand): string[] {
  const forms = [c.usage ?? ''].flat().map((u) => `  ${c.name}${u ? ` ${u}` : ''}`);
  const summary = c.summary ? c.summary.split('\n') : [];
  const out: string[] = [];
  if (forms.length === 1 && summary.length && forms[0]!.length <= COLUMN - 2) out.push(forms[0]!.padEnd(COLUMN) + summary.shift());
  else out.push(...forms);
  for (const s of summary) out.push(' '.repeat(COLUMN) + s);
  return out;
}

const COMMON_OPTIONS = `Common options:
  --url <url>       site to talk to (default ${DEFAULT_URL})
  --token <token>   API bearer token (default TIEUP_TOKEN, else TIEUP_DEMO_TOKEN)
  --json            print raw JSON
  -h, --help        this help
`;

function helpText(commands: readonly CliCommand[]): string {
  const sections = new Map<string, CliCommand[]>();
  for (const c of commands) {
    const list = sections.get(c.section);
    if (list) list.push(c);
    else sections.set(c.section, [c]);
  }
  const lines = ['tieup: operate a Tieup main/partner network', '', 'Usage: tieup <command> [options]', ''];
  for (const [title, list] of sections) lines.push(title, ...list.flatMap(helpLines), '');
  return lines.join('\n') + '\n' + COMMON_OPTIONS;
}

function commandHelp(c: CliCommand): string {
  const options: CliOptions = { ...c.options, ...HELP_OPTION };
  const opts = Object.entries(options).map(([name, o]) => `--${name}${o.type === 'string' ? ' <value>' : ''}${o.multiple ? '...' : ''}`);
  return `${c.section}\n${helpLines(c).join('\n')}\n\nOptions: ${opts.join(' ')}\n`;
}

/** The command the first positionals name (the longest match) and the arguments after its name. */
function findCommand(commands: readonly CliCommand[], positionals: string[]): { command: CliCommand; args: string[] } | undefined {
  for (let k = positionals.length; k > 0; k--) {
    const name = positionals.slice(0, k).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, args: positionals.slice(k) };
  }
  return undefined;
}

async function runCli(argv: string[], io: CliIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const { values: flags, positionals } = parseArgs({ args: argv, options: allOptions(commands), allowPositionals: true, strict: true });
  const found = findCommand(commands, positionals);
  if (!found || positionals.length === 0) {
    if (flags.help || positionals.length === 0) {
      io.out(helpText(commands));
      return positionals.length || flags.help ? 0 : 2;
    }
    throw new CliError(`unknown command "${positionals.join(' ')}"; see tieup --help`, 2);
  }
  const { command, args } = found;
  if (flags.help) {
    io.out(commandHelp(command));
    return 0;
  }
  const max = command.args ?? 0;
  if (args.length > max) {
    if (max === 0) throw new CliError(`unknown command "${positionals.join(' ')}"; see tieup --help`, 2);
    throw new CliError(`${command.name} takes at most ${max} argument${max > 1 ? 's' : ''} (got ${args.map((a) => JSON.stringify(a)).join(' ')}); see tieup ${command.name} --help`, 2);
  }
  const foreign = Object.keys(flags).filter((k) => k !== 'help' && !(k in (command.options ?? {})));
  if (foreign.length) throw new CliError(`${command.name} takes no option ${foreign.map((k) => `--${k}`).join(', ')}; see tieup ${command.name} --help`, 2);
  return command.run(flags, args, io);
}

const consoleIo: CliIo = { out: (text) => console.log(text), err: (text) => console.error(text) };

runCli(process.argv.slice(2), consoleIo).then(
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
