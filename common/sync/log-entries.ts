import { z } from 'zod';
import { defineEntryType, v1Payload } from '../logchain/entry-types.js';

/**
 * A page, asset or miss a site answered (common/logchain/page-log.ts writes it):
 * what tie-up and original page accesses, unique users and content sizes are
 * counted from. Written by the page router (sync) and the shop's pages.
 */
export const pageEntry = defineEntryType({ type: 'page', version: 1, capability: 'sync', payload: v1Payload({ order: z.null() }) });
