// The part of planned pages both sites run: the page format, the common order format, contribution limits, rendering and delivery.
export * from './page.js';
export * from './contribution.js';
export * from './order.js';
export * from './log-entries.js';
export * from './render.js';
export * from './multipart.js';
export * from './buy-routes.js';
export * from './page-fast-path.js';
