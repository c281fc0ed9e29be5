import cron from 'node-cron';
import { z } from 'zod';
import { defineTermsSlice, readTerms, type TermsOf, type TermsRead } from '../contract/terms.js';
import type { PartnershipType } from '../release/manifest.js';

export const PARTNERSHIP_TYPES = ['content', 'template', 'link'] as const satisfies readonly PartnershipType[];

const freezeWindow = z.union([
  z.object({ from: z.iso.datetime(), to: z.iso.datetime(), reason: z.string().max(200).optional() }).strict(),
  z.object({ daily: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'daily windows look like "22:00-06:00" (UTC)'), reason: z.string().max(200).optional() }).strict(),
]);

/**
 * The sync terms of a partner's contract, version 1, under "sync". This is the
 * one home of the partnership type: what is pushed (content, templates, or
 * nothing for a link partnership) and, through the fee engine, which base fee
 * applies. Defaults apply only when the main site writes the terms.
 */
export const syncTermsSchema = z
  .object({
    partnershipType: z.enum(PARTNERSHIP_TYPES).default('content'),
    requiresApproval: z.boolean().default(false),
    emergencyEdit: z.boolean().default(false),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'schedule must be a cron expression (five fields, or six with seconds)')
      .optional(),
    freezeWindows: z.array(freezeWindow).max(50).default([]),
    group: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .optional(),
  })
  .strict();

const UNSLICED_KEYS = ['partnershipType', 'requiresApproval', 'emergencyEdit', 'schedule', 'freezeWindows', 'group'] as const;

export const syncTermsSlice = defineTermsSlice({
  key: 'sync',
  version: 1,
  schema: syncTermsSchema,
  whenAbsent: 'the partner is not contracted for tie-up sync: nothing is pushed to it, it is not billed a base fee, and it has no emergency edit right',
  // Before slices, these keys sat at the top level of the contract.
  unsliced: {
    keys: UNSLICED_KEYS,
    take: (old) => {
      const picked = Object.fromEntries(UNSLICED_KEYS.filter((k) => old[k] !== undefined).map((k) => [k, old[k]]));
      return Object.keys(picked).length ? picked : undefined;
    },
  },
});

export type SyncTerms = TermsOf<typeof syncTermsSlice>;

/** The sync terms of a stored contract, read strictly; `terms: null` means not contracted for sync. */
export const readSyncTerms = (contract: Readonly<Record<string, unknown>>): TermsRead<SyncTerms> => readTerms(contract, syncTermsSlice);
