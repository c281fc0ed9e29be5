import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up from this file. Compiled code runs from
 * dist/, but migrations, views and templates are read from the source tree, so
 * every non-TypeScript asset is addressed relative to this root.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'common'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tieup: cannot find the package root (package.json)');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();

export function fromRoot(...parts: string[]): string {
  return resolve(PACKAGE_ROOT, ...parts);
}
