import type { Target } from '../protocol/ads.js';

// The ad's schemas are part of the protocol (the main site sends definitions with leases); re-exported for the capability.
export { AD_ID_RE, adDefinition, adId, creative, frequencyCap, keyword, target, type AdDefinition, type Creative, type Target } from '../protocol/ads.js';

/** A page's category for targeting: its first path segment, "home" for "/". */
export function categoryOf(path: string): string {
  const seg = path.split('/').filter(Boolean)[0];
  return seg ? seg.toLowerCase() : 'home';
}

export function targets(t: Target, site: string, path: string): boolean {
  if (t.sites.length && !t.sites.includes(site)) return false;
  if (t.pages.length && !t.pages.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : p === path))) return false;
  if (t.categories.length && !t.categories.includes(categoryOf(path))) return false;
  return true;
}
