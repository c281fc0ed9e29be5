// Planned pages on the main site. The shares module (money: contracts, splits, statements) is its own module, like paid's reports.
export { plannedSharesModule, SharesService, sharesErrors, type Recorded } from './shares/index.js';
