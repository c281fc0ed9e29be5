import type { ShopBackend } from '../../common/shop/shop-routes.js';
import { checkShownTotal } from '../../common/shop/order-states.js';
import type { MainShop } from './main-shop.js';

/** The main site's own shop front: every order is processed here, from central stock. */
export function mainShopBackend(shop: MainShop): ShopBackend {
  return {
    groupOf: () => ({ id: 'main', label: 'Your order', settlements: ['pay_on_delivery', 'bank_transfer'] }),
    available: (p) => shop.available(p),
    place: async (r) => {
      checkShownTotal(r.shownTotal, { linesTotal: r.lines.reduce((s, l) => s + l.qty * l.product.price, 0), handlingFee: 0, currency: r.lines[0]!.product.currency });
      return shop.placeDirect({
        user: { id: r.shopper.id, email: r.shopper.email },
        lines: r.lines.map((l) => ({ productId: l.product.id, qty: l.qty })),
        settlement: r.settlement,
        address: r.address,
        idempotencyKey: r.idempotencyKey,
      });
    },
    ordersFor: async (userId) => ({ orders: shop.store.forUser(userId, shop.siteId) }),
    order: async (userId, number) => {
      const o = shop.store.byNumber(number);
      return o && o.userId === userId && o.site === shop.siteId ? o : undefined;
    },
  };
}
