import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { adDefinition, type AdDefinition, type AdHolder } from '../../common/ads/index.js';
import type { Logger } from '../../common/logger.js';

/** Where a partner's manager puts the site's own ads: one JSON file per ad in its original-pages folder. */
export const OWN_ADS_DIR = 'ads';
const MAX_FILE_BYTES = 64 * 1024;
const MAX_OWN_ADS = 100;

export interface OwnAdProblem {
  file: string;
  problem: string;
}

export interface OwnAds {
  ads: AdDefinition[];
  problems: OwnAdProblem[];
}

/**
 * Reads `<originalDir>/ads/<id>.json`, each strictly an ad definition (the
 * main site's schema) with two rules of its own: no viewing points (points
 * are the main site's, paid by its advertisers) and no `target.sites` (an own
 * ad shows only on this site). The file's name is the ad's id, so two files
 * cannot claim one id. A bad file is a problem and is not served; the others
 * still are. `mainIds`: the main site's current ads, whose ids an own ad may
 * not take (its deliveries must never be mistaken for theirs).
 */
export function readOwnAds(originalDir: string, mainIds: ReadonlySet<string>): OwnAds {
  const dir = join(originalDir, OWN_ADS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { ads: [], problems: [] };
  }
  const ads: AdDefinition[] = [];
  const problems: OwnAdProblem[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = `${OWN_ADS_DIR}/${name}`;
    const bad = (problem: string) => problems.push({ file, problem });
    if (!name.endsWith('.json')) {
      bad('not a .json file: an own ad is <id>.json');
      continue;
    }
    let text: string;
    try {
      const st = statSync(join(dir, name));
      if (!st.isFile()) continue;
      if (st.size > MAX_FILE_BYTES) {
        bad(`larger than ${MAX_FILE_BYTES} bytes`);
        continue;
      }
      text = readFileSync(join(dir, name), 'utf8');
    } catch (err) {
      bad(`cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      bad(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const p = adDefinition.safeParse(raw);
    if (!p.success) {
      bad(p.error.issues.map((i) => `${i.path.join('.') || '(ad)'}: ${i.message}`).join('; '));
      continue;
    }
    const ad = p.data;
    if (`${ad.id}.json` !== name) bad(`the id "${ad.id}" is not the file's name (${name})`);
    else if (ad.points !== 0) bad('points must be 0: viewing points are the main site’s, for its advertisers’ ads');
    else if (ad.target.sites.length) bad('target.sites is not for own ads: an own ad shows only on this site');
    else if (mainIds.has(ad.id)) bad(`the main site runs an ad with the id ${ad.id}: choose another id`);
    else if (ads.length >= MAX_OWN_ADS) bad(`more than ${MAX_OWN_ADS} own ads`);
    else ads.push(ad);
  }
  return { ads, problems };
}

/** A cheap fingerprint of the folder (names, sizes, modification times): reread only when it changes. */
export function ownAdsStamp(originalDir: string): string {
  const dir = join(originalDir, OWN_ADS_DIR);
  try {
    const st = statSync(dir);
    const parts = [String(st.mtimeMs)];
    for (const n of readdirSync(dir).sort()) {
      try {
        const f = statSync(join(dir, n));
        parts.push(`${n}:${f.size}:${f.mtimeMs}`);
      } catch {
        parts.push(`${n}:gone`);
      }
    }
    return parts.join('|');
  } catch {
    return 'none';
  }
}

/** How often the folder's fingerprint is looked at (a few stats; the files are reread only on a change). */
const CHECK_MS = 1000;

/**
 * The site's own ads kept in step with their files: read at start, then
 * reread when the folder's fingerprint or the main site's ad ids change, and
 * handed to the holder. Problems are kept for the manager's console and logged
 * once each time they change.
 */
export class OwnAdFiles {
  private stamp = '';
  private current: OwnAds = { ads: [], problems: [] };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly originalDir: string,
    private readonly holder: AdHolder,
    private readonly logger: Logger,
  ) {}

  /** Rereads the files if anything changed; true when it did. */
  refresh(): boolean {
    const mainIds = new Set(this.holder.status().ads.map((a) => a.id));
    const stamp = `${ownAdsStamp(this.originalDir)}#${[...mainIds].sort().join(',')}`;
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    const before = JSON.stringify(this.current.problems);
    this.current = readOwnAds(this.originalDir, mainIds);
    this.holder.setOwnAds(this.current.ads);
    if (JSON.stringify(this.current.problems) !== before)
      for (const p of this.current.problems) this.logger.warn({ event: 'own_ad_refused', file: p.file, problem: p.problem }, 'ads: an own ad file is not served');
    this.logger.info({ event: 'own_ads_loaded', ads: this.current.ads.map((a) => a.id), problems: this.current.problems.length }, 'own ads read');
    return true;
  }

  problems(): OwnAdProblem[] {
    return [...this.current.problems];
  }

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.refresh();
      } catch (err) {
        this.logger.error({ event: 'own_ads_failed', err: err instanceof Error ? err.message : String(err) }, 'ads: own ads could not be read');
      }
    }, CHECK_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }
}
