import { z } from 'zod';
import { defineEntryType, orderRef, v1Payload } from '../logchain/entry-types.js';

/**
 * Planned pages' access-log entries (main site): every access to bought
 * content, the uses counted per planner, page and contributor (seed claims
 * 1, 4, 6). They fit the v1 payload block:
 *   path     /planned/<page>/<item>/<format>   item: "page" or a contribution id
 *   user     the buyer's account id
 *   session  the site the order was placed on (main or a partner id)
 *   order    the order: { id, amount, currency }
 */
export const plannedAccessEntry = defineEntryType({
  type: 'planned_access',
  version: 1,
  capability: 'planned',
  payload: v1Payload({ kind: z.literal('none'), release: z.null(), order: orderRef }),
});

export const ACCESS_PATH_RE = /^\/planned\/(pp-[0-9a-f]{12})\/(page|pc-[0-9a-f]{12})\/(html|pdf|markdown|file)(?:\/(pc-[0-9a-f]{12}))?$/;
