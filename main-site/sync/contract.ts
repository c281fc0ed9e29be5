import type { SyncTerms } from '../../common/sync/terms.js';

// The sync terms themselves (schema, version, reader) are the sync slice in
// common/sync/terms.ts, shared with partners; this file keeps the main site's
// rules over them.

/** The freeze window in force at `now`, if any. */
export function activeFreeze(terms: SyncTerms, now = new Date()): string | null {
  for (const w of terms.freezeWindows) {
    if ('from' in w) {
      if (now >= new Date(w.from) && now < new Date(w.to)) return w.reason ?? `frozen until ${w.to}`;
    } else {
      const [a, b] = w.daily.split('-') as [string, string];
      const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
      const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
      const start = toMin(a);
      const end = toMin(b);
      const inside = start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
      if (inside) return w.reason ?? `daily freeze ${w.daily} UTC`;
    }
  }
  return null;
}
