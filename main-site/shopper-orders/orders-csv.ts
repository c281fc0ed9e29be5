import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../common/web/csv.js';
import express from 'express';
import { z } from 'zod';
import { ORDER_STATES } from '../../common/protocol/index.js';
import type { MainShop } from '../shop/index.js';
import type { ShopperOrders } from './shopper-orders-service.js';

/** A text field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: names come from catalogs and shoppers. */

const filterSchema = z.strictObject({
  site: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'site is a site id')
    .optional()
    .or(z.literal('')),
  state: z.enum(ORDER_STATES).optional().or(z.literal('')),
});

/**
 * /admin/orders.csv?site=&state=: the orders this site processes, with the
 * list's filters, one row per order (RFC 4180 by csv-stringify), amounts in
 * minor units with their currency, and the partner's number of an entrusted order.
 */
export function ordersCsv(shop: MainShop, orders: ShopperOrders): express.Router {
  const r = express.Router();
  r.get('/orders.csv', (req, res) => {
    const f = filterSchema.safeParse(req.query);
    if (!f.success) {
      const i = f.error.issues[0]!;
      res
        .status(400)
        .type('text/plain')
        .send(`${i.path.join('.') || 'query'}: ${i.message}\n`);
      return;
    }
    const list = shop.store.list({ ...(f.data.site ? { site: f.data.site } : {}), ...(f.data.state ? { state: f.data.state } : {}), limit: 1000 });
    const rows = list.map((o) => [
      o.number,
      o.site,
      o.mode,
      o.state,
      o.userEmail,
      o.lines.map((l) => `${l.qty} x ${l.name}`).join('; '),
      o.total,
      o.currency,
      o.settlement,
      o.createdAt,
      o.updatedAt,
      o.mode === 'entrust' ? (orders.partnerNumberOf(o.site, o.number) ?? '') : '',
    ]);
    const csv = stringify([['number', 'site', 'mode', 'state', 'shopper', 'lines', 'total_minor', 'currency', 'payment', 'placed_at', 'updated_at', 'partner_number'], ...rows], {
      record_delimiter: 'windows',
      cast: { string: spreadsheetSafe },
    });
    const name = ['orders', f.data.site, f.data.state].filter(Boolean).join('-');
    res.type('text/csv').set('Content-Disposition', `attachment; filename="${name}.csv"`).send(csv);
  });
  return r;
}
