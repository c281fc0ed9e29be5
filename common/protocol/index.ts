import type { AnyEndpoint } from './endpoint.js';
import { ADS_POINTS, ADS_VIEW } from './ads.js';
import { FEES_STATEMENT } from './fees.js';
import { LOGS_SHIP } from './logs.js';
import { PAID_KEY_ISSUE, PAID_RANKINGS, PAID_RECONCILIATION, PAID_STATEMENT_SUBMIT, PAID_SUBSCRIBE, PAID_UNSUBSCRIBE } from './paid.js';
import { PEER_HELLO, PEER_HELLO_BACK, PEER_KEYS_ANNOUNCE } from './peer.js';
import { SHOP_CONSULT, SHOP_CONSULT_QUOTE, SHOP_ORDER_BY_KEY, SHOP_ORDER_CONFIRM, SHOP_ORDER_PLACE, SHOP_ORDER_STATUS, SHOP_PARTNER_ORDERS, SHOP_STATE } from './shop.js';
import { SHOPPER_ORDERS_OF, SHOPPER_ORDERS_REPORT } from './shopper-orders.js';
import { SYNC_BLOBS, SYNC_COMMIT, SYNC_DECISION, SYNC_OFFER, SYNC_REPORT, SYNC_ROLLBACK, SYNC_STATUS } from './sync.js';
import { USERS_LOGIN, USERS_REGISTER } from './users.js';

export * from './ads.js';
export * from './endpoint.js';
export * from './fees.js';
export * from './logs.js';
export * from './paid.js';
export * from './peer.js';
export * from './planned.js';
export * from './primitives.js';
export * from './shop.js';
export * from './shopper-orders.js';
export * from './sync.js';
export * from './users.js';

/** Every /s2s/ endpoint of the network; a new capability adds its declarations here. */
// Planned pages', coordination's and ads.exchange (leases) are checked by their own tests (planned-pages, coord-*, ads-cap), not yet by the conformance flows of test/protocol.test.ts, which require every listed endpoint exercised.
export const ALL_ENDPOINTS: readonly AnyEndpoint[] = [
  PEER_HELLO,
  PEER_HELLO_BACK,
  PEER_KEYS_ANNOUNCE,
  SYNC_OFFER,
  SYNC_BLOBS,
  SYNC_COMMIT,
  SYNC_STATUS,
  SYNC_ROLLBACK,
  SYNC_DECISION,
  SYNC_REPORT,
  LOGS_SHIP,
  FEES_STATEMENT,
  USERS_REGISTER,
  USERS_LOGIN,
  SHOP_ORDER_PLACE,
  SHOP_CONSULT,
  SHOP_CONSULT_QUOTE,
  SHOP_STATE,
  SHOP_ORDER_STATUS,
  SHOP_ORDER_BY_KEY,
  SHOP_ORDER_CONFIRM,
  SHOP_PARTNER_ORDERS,
  PAID_KEY_ISSUE,
  PAID_SUBSCRIBE,
  PAID_UNSUBSCRIBE,
  PAID_STATEMENT_SUBMIT,
  PAID_RECONCILIATION,
  PAID_RANKINGS,
  SHOPPER_ORDERS_REPORT,
  SHOPPER_ORDERS_OF,
  ADS_VIEW,
  ADS_POINTS,
];
export * from './coord.js';
export * from './news.js';
