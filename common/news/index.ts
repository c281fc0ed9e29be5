// The part of news both kinds of site run: the contract slice, and the account page's block.
export { newsTermsSchema, newsTermsSlice, shopperDataGranted, type NewsTerms } from './terms.js';
export { newsAccountHtml } from './account-section.js';
export { consentRoute } from './consent-route.js';
