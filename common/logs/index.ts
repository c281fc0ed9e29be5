export { logBrowserApi, logBrowserPages, browsePage, entryDetail, proofFile, CSV_COLUMNS } from './log-browser.js';
export { parseBrowseQuery, parseUtc } from './entry-filter.js';
export { logBrowserErrors } from './errors.js';
export { ownLogSource } from './own-source.js';
export type { LogSource, LogSources, SourceCheckpoint } from './log-source.js';
