// The part of the sync capability both kinds of site run: serving the pages of the current view.
export { siteFront } from './site-front.js';
export { createPageRouter, sitePageNotFound } from './page-router.js';
export { pageEntry } from './log-entries.js';
export { PARTNERSHIP_TYPES, readSyncTerms, syncTermsSchema, syncTermsSlice, type SyncTerms } from './terms.js';
