import { CliError, type CliIo, type Flags } from '../../../common/cli/command.js';
import { BUNDLE_KEYS_WARNING, trustFromFlags } from '../../../common/logchain/trust.js';
import type { AuditResult } from '../../../common/logchain/audit.js';

export interface VerifiedBundle {
  file: string;
  site: string;
  /** The witness's own log (the main site's): signed by its pinned key alone. */
  own: boolean;
  text: string;
  v: AuditResult;
}

/**
 * Reads and verifies audit bundles with the pinned keys (as `tieup audit
 * verify` does) for the paid commands that recompute from logs; a bundle that
 * does not verify stops the command with the audit's exit code, so nothing is
 * recomputed from entries no checkpoint covers.
 */
export async function verifyBundles(files: readonly string[], flags: Flags, io: CliIo): Promise<VerifiedBundle[]> {
  const { readBundleFile, verifyBundle, EXIT_CODES } = await import('../../../common/logchain/audit.js');
  const choice = trustFromFlags(flags);
  if (choice.trustBundleKeys) io.err(BUNDLE_KEYS_WARNING);
  const witnesses = new Set(Object.keys(choice.trust?.witnesses ?? {}));
  return files.map((f) => {
    let text: Buffer;
    try {
      text = readBundleFile(f);
    } catch (err) {
      throw new CliError(`cannot read ${f}: ${(err as Error).message}`, 2);
    }
    let site = '';
    try {
      site = (JSON.parse(text.subarray(0, text.indexOf(10)).toString('utf8')) as { site?: string }).site ?? '';
    } catch {
      throw new CliError(`${f} is not an audit bundle (its first line is not JSON)`, 2);
    }
    // The main site's own log has no witness above it: its checkpoints are signed by it alone, under the pinned key.
    const own = witnesses.has(site);
    const v = verifyBundle(text, { ...choice, allowUncosigned: choice.allowUncosigned || own });
    if (!v.tree || (!v.ok && v.reason !== 'unverified_entries')) throw new CliError(`${f} does not verify (${v.reason}: ${v.message}); nothing is recomputed`, EXIT_CODES[v.reason!]);
    if (own) io.err(`note: ${f} is the log of ${site}, the witness itself: its checkpoints are signed by its pinned key, no one cosigns them`);
    return { file: f, site, own, text: text.toString('utf8'), v };
  });
}
