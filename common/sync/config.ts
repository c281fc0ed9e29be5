import { intFromString } from '../config-slice.js';

/**
 * How long edits must settle before they take effect: the main site's content
 * folder, a partner's original pages. Both sites' sync slices carry this very
 * schema, so the key composes once (two slices may share a key only this way).
 */
export const watchDebounceMs = intFromString(0, 60_000).default(500);
