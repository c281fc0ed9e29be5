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
    // Each field's meta is the console form's label and hint (common/web/schema-form.ts), declared beside what it labels.
    partnershipType: z
      .enum(PARTNERSHIP_TYPES)
      .default('content')
      .meta({ title: 'Partnership type', description: 'content: pages and templates are pushed; template: templates only; link: nothing is pushed.' }),
    requiresApproval: z.boolean().default(false).meta({ title: 'Manager approves each release', description: "Yes: a pushed release waits for the partner manager's approval before it is served." }),
    emergencyEdit: z.boolean().default(false).meta({ title: 'Emergency edits allowed', description: 'Whether the partner may change a served tie-up page itself in an emergency.' }),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'must be a cron expression (five fields, or six with seconds)')
      .optional()
      .meta({ title: 'Push schedule', description: 'A cron expression in UTC, e.g. "0 */15 * * * *" (every 15 minutes); empty: pushed only by hand.' }),
    freezeWindows: z
      .array(freezeWindow)
      .max(50)
      .default([])
      .meta({ title: 'Freeze windows', description: 'When no push may happen, as JSON: [{"daily": "22:00-06:00"}] or [{"from": "<ISO time>", "to": "<ISO time>"}].' }),
    group: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .optional()
      .meta({ title: 'Push group', expects: '1 to 32 lowercase letters, digits or hyphens', description: 'Partners of one group can be pushed together (tieup sync push --group).' }),
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
