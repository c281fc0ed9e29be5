import { defineErrors } from '../errors.js';

/**
 * The codes of the console's log browser (both sites; docs/logs.md, "Browsing
 * the log in the console"). Listed by each site's logs module beside its own catalog.
 */
export const logBrowserErrors = defineErrors('logs', {
  bad_filter: { status: 400 },
  entry_not_found: { status: 404 },
});
