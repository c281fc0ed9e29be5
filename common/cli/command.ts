import type { ParseArgsConfig } from 'node:util';

/**
 * The contract for a `tieup` command. The ground floor's commands (keys, demo,
 * modules) live in cli/; every other command lives with the capability it
 * operates, in the capability's `cli.ts`, and reaches the CLI through its
 * module's `cli` field. cli/tieup.ts collects the commands of every module of
 * both kinds of site, builds the help from them, parses each command's own
 * options strictly (node:util parseArgs) and runs it.
 */
export interface CliCommand {
  /** The words that select it, e.g. "fees recompute". */
  readonly name: string;
  /** The heading it is listed under in `tieup --help` (one per capability, usually). */
  readonly section: string;
  /** What follows the name in the help, one line per form, e.g. "--period YYYY-MM". */
  readonly usage?: string | readonly string[];
  /** What it does, shown beside the usage; "\n" starts a continuation line. */
  readonly summary?: string;
  /** Its options (parsed strictly: any other option is a usage error); `--help` is every command's. */
  readonly options?: CliOptions;
  /** How many positional arguments may follow the name (default none). */
  readonly args?: number;
  /** Runs it and answers the exit code (-1: leave the process running, as the demo does). */
  run(flags: Flags, args: string[], io: CliIo): Promise<number> | number;
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** Parsed options, by long name. */
export type Flags = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Where a command writes, one block of lines at a time (console.log / console.error in the CLI). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** A failure the CLI reports as `tieup: <message>` with its exit code (2 for usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Declares a capability's commands under one help heading. */
export function defineCommands(section: string, commands: readonly Omit<CliCommand, 'section'>[]): CliCommand[] {
  return commands.map((c) => ({ ...c, section }));
}

/** A required string option (a usage error when missing). */
export function need(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new CliError(`--${name} is required (see tieup --help)`, 2);
  return v;
}

/** Prints the raw JSON with --json, else the human form. */
export function print(flags: Flags, io: CliIo, value: unknown, human: () => void): void {
  if (flags.json) io.out(JSON.stringify(value, null, 2));
  else human();
}
