import type { AdDefinition } from './definition.js';
import { targets } from './definition.js';

/** One ad a site could show now, with what is left of its live lease here (0: none). */
export interface Candidate {
  ad: AdDefinition;
  available: number;
}

/** The page an ad slot is on. */
export interface SlotPage {
  site: string;
  path: string;
  words: ReadonlySet<string>;
}

export interface Choice {
  ad: AdDefinition | undefined;
  /** Why, in words, for the operator's console. */
  reason: string;
  /** Every ad considered and why it was taken or left. */
  considered: { ad: string; why: string }[];
  /** Ads that would have been shown but had no lease here (demand the main site should hear about). */
  starved: string[];
}

/**
 * Picks the ad for one slot (seed 004 Figs. 4 and 6: items carry keywords):
 * among ads that target this site, page and category, that the shopper has not
 * seen as often as the ad's frequency cap allows, and that have quota leased
 * here, the one whose keywords match most words of the page; ties go to the
 * ad with more quota left here (it has most to give), then to the id (stable).
 */
export function chooseAd(candidates: readonly Candidate[], page: SlotPage, capped: (ad: AdDefinition) => boolean): Choice {
  const considered: Choice['considered'] = [];
  const starved: string[] = [];
  let best: { c: Candidate; score: number; matched: string[] } | undefined;
  for (const c of candidates) {
    const id = c.ad.id;
    if (!targets(c.ad.target, page.site, page.path)) {
      considered.push({ ad: id, why: 'not targeted at this site, page or category' });
      continue;
    }
    if (capped(c.ad)) {
      considered.push({ ad: id, why: `frequency cap reached for this shopper (${c.ad.frequencyCap?.count} per ${c.ad.frequencyCap?.hours} h)` });
      continue;
    }
    const matched = c.ad.keywords.filter((k) => page.words.has(k));
    if (c.available <= 0) {
      considered.push({ ad: id, why: 'no quota leased to this site now' });
      starved.push(id);
      continue;
    }
    considered.push({ ad: id, why: `${matched.length} keyword(s) matched${matched.length ? ` (${matched.join(', ')})` : ''}, ${c.available} left in this site's lease` });
    const better = !best || matched.length > best.score || (matched.length === best.score && (c.available > best.c.available || (c.available === best.c.available && id < best.c.ad.id)));
    if (better) best = { c, score: matched.length, matched };
  }
  if (!best) return { ad: undefined, reason: candidates.length ? 'no eligible ad with quota here' : 'no ad is running', considered, starved };
  const m = best.matched;
  return { ad: best.c.ad, reason: `${best.c.ad.id}: ${m.length ? `keywords ${m.join(', ')}` : 'no keyword matched, best available'}; ${best.c.available} left in lease`, considered, starved };
}

/** The words of a page, lowercased, from its HTML text (tags, scripts and styles left out). */
export function pageWords(html: string): Set<string> {
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .toLowerCase();
  return new Set(text.split(/[^\p{L}\p{N}-]+/u).filter((w) => w.length >= 2 && w.length <= 40));
}

/**
 * How many deliveries one lease carries: enough for `leaseSeconds` at the
 * site's measured rate (at least 1, at most `max`), never more than a fair
 * share of what is left among the sites that want the ad (so no site starves
 * while another sits on idle quota), and never more than is left.
 */
export function leaseSize(o: { rate: number; available: number; sitesWanting: number; leaseSeconds: number; initial: number; max: number }): number {
  if (o.available <= 0) return 0;
  const byRate = o.rate > 0 ? Math.ceil(o.rate * o.leaseSeconds) : o.initial;
  const fair = Math.ceil(o.available / Math.max(1, o.sitesWanting));
  return Math.max(1, Math.min(byRate, o.max, fair, o.available));
}
