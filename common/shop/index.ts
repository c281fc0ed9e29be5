// The part of the shop capability both kinds of site run: catalog, cart and checkout, order states, handling terms.
export { accountOrders, cartHousekeeping, mountShopFront, shopFrontMigrations } from './shop-front.js';
export { handlingMode, readShopTerms, shopTermsSchema, shopTermsSlice, NO_SHOP_ARRANGEMENT, HANDLING_MODES, type ConsultCommand, type HandlingMode, type ShopTerms } from './terms.js';
export type { Product } from '../render/catalog.js';
export type { OrderState, OrderView } from './order-states.js';
export type { ShopBackend } from './shop-routes.js';
export { SETTLEMENTS, type OrderLine, type Settlement } from './order-states.js';
export { shopErrors } from './errors.js';
export { nextStates } from './order-states.js';
