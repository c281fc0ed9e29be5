import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkPath, LIMITS, sha256Hex, sortManifest, type Manifest } from '../../common/release/manifest.js';
import { parseFrontMatter } from '../../common/render/front-matter.js';

export interface ScanResult {
  manifest: Manifest;
  blobs: Map<string, Buffer>;
  problems: string[];
  /** Pages left out because their front matter says published: false. */
  unpublished: string[];
}

/**
 * Reads the content folder (pages/, assets/, catalog/, paid/) and the brand framework
 * (templates/) into a manifest and blobs. Links, odd names, oversize files are
 * problems to report, never silently skipped.
 */
export function scanContent(contentDir: string, templatesDir: string): ScanResult {
  const result: ScanResult = { manifest: [], blobs: new Map(), problems: [], unpublished: [] };
  let total = 0;
  const visit = (root: string, dir: string, prefix: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      result.problems.push(`cannot read ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue; // editor swap files, .DS_Store, .gitkeep
      const full = join(dir, name);
      const st = lstatSync(full);
      const rel = prefix + relative(root, full).split(sep).join('/');
      if (st.isSymbolicLink()) {
        result.problems.push(`${rel}: symbolic links are not published`);
        continue;
      }
      if (st.isDirectory()) {
        visit(root, full, prefix);
        continue;
      }
      if (!st.isFile()) continue;
      const checked = checkPath(rel);
      if ('problem' in checked) {
        result.problems.push(`${rel}: ${checked.problem}`);
        continue;
      }
      if (st.size > LIMITS.maxFileBytes) {
        result.problems.push(`${rel}: larger than ${LIMITS.maxFileBytes} bytes`);
        continue;
      }
      const data = readFileSync(full);
      if (checked.kind === 'page' && rel.endsWith('.md') && parseFrontMatter(data.toString('utf8')).attributes.published === false) {
        result.unpublished.push(rel);
        continue;
      }
      total += data.length;
      const sha = sha256Hex(data);
      result.blobs.set(sha, data);
      result.manifest.push({ path: rel, sha256: sha, size: data.length, kind: checked.kind });
    }
  };
  for (const folder of ['pages', 'assets', 'catalog', 'paid']) {
    const d = join(contentDir, folder);
    try {
      if (lstatSync(d).isDirectory()) visit(contentDir, d, '');
    } catch {
      // an absent folder is simply empty
    }
  }
  visit(templatesDir, templatesDir, 'templates/');
  if (result.manifest.length > LIMITS.maxEntries) result.problems.push(`more than ${LIMITS.maxEntries} files`);
  if (total > LIMITS.maxTotalBytes) result.problems.push(`more than ${LIMITS.maxTotalBytes} bytes in all`);
  result.manifest = sortManifest(result.manifest);
  return result;
}
