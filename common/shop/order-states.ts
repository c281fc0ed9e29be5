import { ORDER_STATES, SETTLEMENT_IDS } from '../protocol/shop.js';
import { AppError } from '../errors.js';
import { shopErrors } from './errors.js';

/**
 * An order's life, the same on every site: accepted when placed, then shipped
 * (or ready for pickup), then delivered; cancelled from accepted or shipped,
 * which returns its units to stock.
 */
export { ORDER_STATES };
export type OrderState = (typeof ORDER_STATES)[number];

const NEXT: Record<OrderState, readonly OrderState[]> = {
  accepted: ['shipped', 'cancelled'],
  shipped: ['delivered', 'cancelled'],
  delivered: [],
  cancelled: [],
};

export const nextStates = (s: OrderState): readonly OrderState[] => NEXT[s];
export const canMove = (from: OrderState, to: OrderState): boolean => NEXT[from].includes(to);
/** An order state, as a pattern (for a console banner's parameter). */
export const ORDER_STATE_RE = new RegExp(`^(${ORDER_STATES.join('|')})$`);
export const isOrderState = (s: unknown): s is OrderState => typeof s === 'string' && (ORDER_STATES as readonly string[]).includes(s);

export const SETTLEMENTS = {
  pay_on_delivery: 'Pay on delivery',
  bank_transfer: 'Bank transfer (we send an invoice)',
  pickup: "Pick up and pay at the partner's shop",
} as const satisfies Record<(typeof SETTLEMENT_IDS)[number], string>;
export type Settlement = (typeof SETTLEMENT_IDS)[number];
export const isSettlement = (s: unknown): s is Settlement => typeof s === 'string' && Object.hasOwn(SETTLEMENTS, s);

/** What the shopper is told happens next, per settlement method. */
export function nextStepText(settlement: Settlement, shopName: string): string {
  switch (settlement) {
    case 'pay_on_delivery':
      return 'We will ship your order shortly; pay the courier when it arrives.';
    case 'bank_transfer':
      return 'An e-mail with your order and its transfer reference is on its way; we ship as soon as the transfer arrives.';
    case 'pickup':
      return `We will tell you by email when your order is ready; pick it up and pay at ${shopName}.`;
  }
}

export interface OrderLine {
  productId: string;
  name: string;
  qty: number;
  unitPrice: number;
  /** On a partner: whether this line was taken from the partner's own stock (and goes back on cancel). */
  fromStock?: boolean;
}

export interface DeliveryAddress {
  name: string;
  street: string;
  postcode: string;
  city: string;
  country: string;
}

/** An order as a shopper and a console see it, whichever site holds it. */
export interface OrderView {
  id: string;
  number: string;
  site: string;
  mode: 'direct' | 'local' | 'entrust' | 'consult';
  state: OrderState;
  lines: OrderLine[];
  handlingFee: number;
  total: number;
  currency: string;
  settlement: Settlement;
  address: DeliveryAddress | null;
  warehouse: string | null;
  userId: string;
  userEmail: string;
  createdAt: string;
  updatedAt: string;
  /** For an order a partner entrusted: the main site's order number. */
  mainNumber?: string | null;
}

/** What every new order records, whichever site writes it (the rest is the store's: number, times). */
export type NewOrderFields = Pick<OrderView, 'id' | 'userId' | 'userEmail' | 'lines' | 'total' | 'currency' | 'settlement' | 'address'>;

/** What a shopper is told when a line cannot be had: how many are left, or that none are (here, for a partner's own stock). */
export function outOfStockError(productId: string, productName: string | undefined, left: number, where: '' | ' here' = ''): AppError {
  const name = productName ?? productId;
  return shopErrors.out_of_stock(left > 0 ? `Only ${left} of ${name} left; lower the quantity and try again.` : `${name} is out of stock${where}; nothing was ordered.`, {
    productId,
    available: left,
  });
}

/**
 * The order's total must be the one the shopper was shown: when it is not (a
 * contract changed the handling fee, a release the prices, between the checkout
 * page and "Place order"), nothing is placed and the shopper confirms the new
 * total. `details` carry it so the page can show it.
 */
export function checkShownTotal(shown: number, order: { linesTotal: number; handlingFee: number; currency: string }): void {
  const total = order.linesTotal + order.handlingFee;
  if (shown === total) return;
  throw shopErrors.total_changed('The total of this order changed since the checkout page was shown. Nothing was ordered; check the new total below and place the order again.', {
    total,
    handlingFee: order.handlingFee,
    currency: order.currency,
  });
}
