import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { fromRoot } from '../../common/paths.js';

export const SCREENSHOT_DIR = fromRoot('test-output');

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is not installed at /usr/bin/chromium: run "apt-get install -y chromium" (npm test does this when run as root)');
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
