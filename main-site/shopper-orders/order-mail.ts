import { formatMoney } from '../../common/money.js';
import { SETTLEMENTS, type OrderLine, type OrderState, type Settlement } from '../../common/shop/index.js';

/** What an order e-mail says; the same words whichever site the order was placed on. */
export interface OrderMailFacts {
  number: string;
  state: OrderState;
  /** The site the shopper placed it on, and the site that ships it. */
  placedAt: string;
  shippedBy: string;
  lines: Pick<OrderLine, 'name' | 'qty' | 'unitPrice'>[];
  handlingFee: number;
  total: number;
  currency: string;
  settlement: Settlement;
  /** A shipment's tracking reference, or a cancellation's reason. */
  detail: string | null;
  shopperName: string;
}

/** The notice kind per state; a shipped order the shopper picks up is "ready for pickup". */
export function orderMailKind(state: OrderState, settlement: Settlement): string {
  if (state === 'accepted') return 'order_placed';
  if (state === 'shipped') return settlement === 'pickup' ? 'order_ready_for_pickup' : 'order_shipped';
  return `order_${state}`;
}

const money = (amount: number, currency: string) => formatMoney({ amount, currency });

/** Subject and plain text of the shopper's e-mail for one state of an order. */
export function orderMail(f: OrderMailFacts): { subject: string; text: string } {
  const where = f.placedAt === f.shippedBy ? `at ${f.placedAt}` : `at ${f.placedAt}, sent by ${f.shippedBy}`;
  const lines = [
    ...f.lines.map((l) => `  ${l.qty} x ${l.name}  ${money(l.qty * l.unitPrice, f.currency)}`),
    ...(f.handlingFee > 0 ? [`  Handling fee  ${money(f.handlingFee, f.currency)}`] : []),
    `  Total  ${money(f.total, f.currency)}`,
  ].join('\n');
  const hello = `Hello ${f.shopperName},\n\n`;
  const kind = orderMailKind(f.state, f.settlement);
  switch (kind) {
    case 'order_placed':
      return {
        subject: `Order ${f.number} placed`,
        text: `${hello}we have your order ${f.number} ${where}.\n\n${lines}\n\nPayment: ${SETTLEMENTS[f.settlement]}.${
          f.settlement === 'bank_transfer' ? `\nPlease transfer ${money(f.total, f.currency)} with the reference ${f.number}; we ship as soon as the transfer arrives.` : ''
        }\nWe will e-mail you again when it is ${f.settlement === 'pickup' ? 'ready for pickup' : 'shipped'}.\n`,
      };
    case 'order_shipped':
      return {
        subject: `Order ${f.number} shipped`,
        text: `${hello}your order ${f.number} ${where} is on its way.\n${f.detail ? `Tracking reference: ${f.detail}\n` : ''}\n${lines}\n`,
      };
    case 'order_ready_for_pickup':
      return {
        subject: `Order ${f.number} is ready for pickup`,
        text: `${hello}your order ${f.number} is ready: pick it up and pay at ${f.shippedBy}.\n\n${lines}\n`,
      };
    case 'order_delivered':
      return { subject: `Order ${f.number} delivered`, text: `${hello}your order ${f.number} ${where} was delivered. Thank you.\n` };
    default:
      return {
        subject: `Order ${f.number} cancelled`,
        text: `${hello}your order ${f.number} ${where} was cancelled${f.detail ? `: ${f.detail}` : ''}. It will not be shipped.\n\n${lines}\n`,
      };
  }
}
