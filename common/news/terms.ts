import { z } from 'zod';
import { defineTermsSlice, readTerms, type TermsOf } from '../contract/terms.js';

/** The news terms of a partner's contract, version 1, under "news" (docs/news.md). */
export const newsTermsSchema = z
  .object({
    /** Whether the partner may use its own shoppers' data to send them news itself (from its console, through the main site's outbox). */
    shopperData: z.boolean().default(false).meta({ title: "May use its shoppers' data for news", description: 'Lets the partner send news to its own opted-in shoppers from its console.' }),
  })
  .strict();

export const newsTermsSlice = defineTermsSlice({
  key: 'news',
  version: 1,
  schema: newsTermsSchema,
  whenAbsent: "the partner may not send news to its shoppers itself; the main site's news reach them on its behalf",
});

export type NewsTerms = TermsOf<typeof newsTermsSlice>;

/**
 * Whether the contract grants the partner its shoppers' data for news. Absent
 * terms grant nothing; unreadable ones neither (`problem` says why), since
 * handing out shoppers' data is never the safe guess.
 */
export function shopperDataGranted(contract: Readonly<Record<string, unknown>>): { granted: boolean; problem?: string } {
  const r = readTerms(contract, newsTermsSlice);
  if (!r.ok) return { granted: false, problem: r.problem };
  return { granted: r.terms?.shopperData === true };
}
