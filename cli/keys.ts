import { generateSiteKeys, readKeyset, rotateSiteKeys } from '../common/keys/keystore.js';
import { CliError, defineCommands, need, print, type Flags } from '../common/cli/command.js';
import { SITE_ID_RE } from '../common/site/enrolment.js';

function siteFlag(flags: Flags): string {
  const site = need(flags, 'site');
  if (!SITE_ID_RE.test(site)) throw new CliError(`--site "${site}" is not a valid site id (lowercase letters, digits, "-")`, 2);
  return site;
}

const keysDir = (flags: Flags): string => (flags['keys-dir'] as string | undefined) ?? process.env.TIEUP_KEYS_DIR ?? 'keys';
const KEY_OPTIONS = { site: { type: 'string' }, 'keys-dir': { type: 'string' } } as const;

/** A site's own Ed25519 keys: local files, ground floor. */
export const keysCli = defineCommands('Keys (local files under --keys-dir, default ./keys):', [
  {
    name: 'keys generate',
    usage: '--site <id>',
    summary: "create the site's first Ed25519 key (no-op if it has one)",
    options: KEY_OPTIONS,
    async run(flags, _args, io) {
      const site = siteFlag(flags);
      const { created, keyset } = await generateSiteKeys(keysDir(flags), site);
      io.out(created ? `generated key ${keyset.current} for ${site}` : `${site} already has keys (current ${keyset.current}); nothing changed`);
      return 0;
    },
  },
  {
    name: 'keys rotate',
    usage: '--site <id> [--grace <s>]',
    summary: 'make a new current key; the previous one stays valid\nfor --grace seconds (default TIEUP_KEY_GRACE_SECONDS or 86400).\nA running site picks it up and announces it to its peers.',
    options: { ...KEY_OPTIONS, grace: { type: 'string' } },
    async run(flags, _args, io) {
      const site = siteFlag(flags);
      const grace = Number(flags.grace ?? process.env.TIEUP_KEY_GRACE_SECONDS ?? 86400);
      if (!Number.isInteger(grace) || grace < 0) throw new CliError('--grace must be a whole number of seconds', 2);
      const r = await rotateSiteKeys(keysDir(flags), site, grace);
      io.out(`${site}: new current key ${r.newKid}; previous key ${r.previousKid} stays valid for ${grace} s.`);
      io.out('A running site reloads its keys and announces the new key to its peers, signed with the key they already trust.');
      return 0;
    },
  },
  {
    name: 'keys show',
    usage: '--site <id>',
    summary: "print the site's key thumbprints (give them to peers' operators)",
    options: { ...KEY_OPTIONS, json: { type: 'boolean' } },
    run(flags, _args, io) {
      const site = siteFlag(flags);
      const ks = readKeyset(keysDir(flags), site);
      if (!ks) throw new CliError(`no keys for ${site}; run "tieup keys generate --site ${site}"`);
      print(flags, io, ks, () => {
        for (const k of ks.keys) io.out(`${k.kid}  ${k.kid === ks.current ? 'current' : `previous, valid until ${k.retiresAt}`}`);
      });
      return 0;
    },
  },
]);
