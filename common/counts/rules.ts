import { z } from 'zod';
import { ITEM_KEY_RE } from './items.js';

/**
 * Event rules (seed 004 【0054】【0061】【0063】): per item, "every N" fires at
 * N, 2N, 3N ...; "only N" fires once, at N. Each rule has one action for the
 * item's supplier (a status report, a request for new content, a revenue-share
 * statement, or none) and any number of webhooks that receive every firing.
 */
export const RULE_MODES = ['every', 'only'] as const;
export const RULE_ACTIONS = ['status_report', 'new_content', 'revenue_statement', 'webhooks_only'] as const;
export type RuleMode = (typeof RULE_MODES)[number];
export type RuleAction = (typeof RULE_ACTIONS)[number];

const MAX_N = 1_000_000_000_000;

const webhookUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'a webhook is an absolute http(s) URL');

export const itemKey = z.string().regex(ITEM_KEY_RE, 'an item key is "<kind>:<id>", e.g. page:/guides/tea or paid:tea-atlas');

/** A rule as the operator writes it (console form, API, CLI). */
export const ruleInput = z.strictObject({
  item: itemKey,
  mode: z.enum(RULE_MODES),
  n: z.int().min(1).max(MAX_N),
  action: z.enum(RULE_ACTIONS),
  webhooks: z.array(webhookUrl).max(10).default([]),
});
export type RuleInput = z.output<typeof ruleInput>;

/** An item as the operator registers it: who supplies it (a portal party), and its price in points (CP) for statements. */
export const itemInput = z.strictObject({
  key: itemKey,
  title: z.string().trim().min(1).max(200),
  supplier: z.string().regex(/^p-[0-9a-f]{12}$/, 'a supplier is a portal party id (p- and 12 hex digits)'),
  pricePoints: z.int().min(0).max(1_000_000_000).nullable().default(null),
});
export type ItemInput = z.output<typeof itemInput>;

/**
 * The thresholds a rule crosses when the count moves from `from` to `to`
 * (from < threshold <= to), in order, leaving out any at or below `floor`
 * (the item's count when the rule was set: a rule never fires for deliveries
 * counted before it existed).
 */
export function crossings(mode: RuleMode, n: number, floor: number, from: number, to: number): number[] {
  const lo = Math.max(from, floor);
  if (to <= lo) return [];
  if (mode === 'only') return n > lo && n <= to ? [n] : [];
  const out: number[] = [];
  for (let t = (Math.floor(lo / n) + 1) * n; t <= to; t += n) out.push(t);
  return out;
}

/** The next count at which a rule fires after `count`, or null if never again. */
export function nextThreshold(mode: RuleMode, n: number, floor: number, count: number): number | null {
  const lo = Math.max(count, floor);
  if (mode === 'only') return n > lo ? n : null;
  return (Math.floor(lo / n) + 1) * n;
}
