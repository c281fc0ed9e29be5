export { networkOrdersHtml } from './account-section.js';
