import cron from 'node-cron';
import { z } from 'zod';
import type { PartnershipType } from '../../common/release/manifest.js';

/**
 * The sync-related terms of a partner's contract. Stored as the peer's contract
 * JSON; fees (a later issue) add their own terms beside these.
 */
const freezeWindow = z.union([
  z.object({ from: z.iso.datetime(), to: z.iso.datetime(), reason: z.string().max(200).optional() }).strict(),
  z.object({ daily: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'daily windows look like "22:00-06:00" (UTC)'), reason: z.string().max(200).optional() }).strict(),
]);

export const syncTermsSchema = z.object({
  partnershipType: z.enum(['content', 'template', 'link']).default('content'),
  requiresApproval: z.boolean().default(false),
  emergencyEdit: z.boolean().default(false),
  schedule: z
    .string()
    .refine((s) => cron.validate(s), 'schedule must be a cron expression (five fields, or six with seconds)')
    .optional(),
  freezeWindows: z.array(freezeWindow).max(50).default([]),
  group: z.string().regex(/^[a-z0-9-]{1,32}$/).optional(),
});

export type SyncTerms = z.output<typeof syncTermsSchema> & { partnershipType: PartnershipType };

/** Reads the terms from a stored contract; unreadable terms fall back to defaults rather than stopping pushes. */
export function syncTerms(contract: Record<string, unknown>): SyncTerms {
  const r = syncTermsSchema.safeParse(contract);
  if (r.success) return r.data;
  return syncTermsSchema.parse({});
}

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
