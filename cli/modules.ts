import { defineCommands, print, type CliCommand, type CliIo } from '../common/cli/command.js';
import type { SiteDefinition } from '../common/site/host.js';
import type { ModuleDescription, SiteDescription } from '../common/site/describe.js';

const LABEL = 16;

function printModule(io: CliIo, m: ModuleDescription): void {
  io.out(`  ${m.name}`);
  const block = (label: string, items: string[]) => items.forEach((item, i) => io.out(`    ${(i === 0 ? label : '').padEnd(LABEL)}${item}`));
  block(
    'nav',
    m.nav.map((n) => `${n.path}  ${n.title}  (${n.href})`),
  );
  block('s2s', m.s2s);
  block('console API', m.consoleApi);
  block('console pages', m.consolePages);
  block('front', m.front);
  block(
    'jobs',
    m.jobs.map((j) => `${j.name}  ${j.schedule}`),
  );
  block(
    'migrations',
    m.migrations.map((s) => `${s.namespace}: ${s.files.join(', ') || '(none)'}`),
  );
  block(
    'config',
    m.config.map((c) => `${c.key}  ${c.env}${c.default !== undefined ? `  default ${JSON.stringify(c.default)}` : ''}`),
  );
  block(
    'cli',
    m.cli.map((c) => `tieup ${c.name}`),
  );
}

/**
 * tieup modules: every module of each kind of site and what it contributes,
 * read from the module objects (routes from the routers their hooks build
 * against a throwaway in-memory site; see common/site/describe.ts).
 */
export function modulesCli(sites: readonly SiteDefinition[], groundCommands: () => readonly CliCommand[]): CliCommand[] {
  return defineCommands('Modules:', [
    {
      name: 'modules',
      usage: '[--json]',
      summary: "each kind of site's modules: navigation, s2s and console\nroutes, jobs, migrations, configuration keys, commands",
      options: { json: { type: 'boolean' } },
      async run(flags, _args, io) {
        const { describeSite } = await import('../common/site/describe.js');
        const described: Record<string, SiteDescription> = {};
        for (const def of sites) described[def.role] = await describeSite(def);
        const ground = groundCommands().map((c) => ({ name: c.name, usage: [c.usage ?? []].flat() }));
        for (const d of Object.values(described)) d.ground.cli = ground;
        print(flags, io, described, () => {
          for (const d of Object.values(described)) {
            io.out(`${d.role} site (console at ${d.consoleBase})`);
            printModule(io, d.ground);
            for (const m of d.modules) printModule(io, m);
            io.out('');
          }
        });
        return 0;
      },
    },
  ]);
}
