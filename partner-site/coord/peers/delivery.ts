import { createHash } from 'node:crypto';
import express from 'express';
import { defineModule } from '../../../common/module.js';
import { formatMoney } from '../../../common/money.js';
import { fromRoot } from '../../../common/paths.js';
import { COORD_DELIVERY_BOOK, COORD_DELIVERY_CANCEL, type CoordDeliveryBooking } from '../../../common/protocol/coord.js';
import { s2sEndpoint } from '../../../common/s2s/middleware.js';
import { deliveryErrors } from './errors.js';
import { DeliveryStore, type DeliveryRow } from './peer-store.js';

const hashOf = (o: unknown) => createHash('sha256').update(JSON.stringify(o)).digest('hex');

/** The demo delivery service: books a collection at a supplier's shop and a drop-off at the shopper's door, once per idempotency key. */
export class DeliveryService {
  constructor(readonly store: DeliveryStore) {}

  book(b: CoordDeliveryBooking): { deliveryId: string; state: DeliveryRow['state']; replayed: boolean } {
    const hash = hashOf(b);
    const seen = this.store.byKey(b.idempotencyKey);
    if (seen) {
      if (seen.requestHash !== hash) throw deliveryErrors.idempotency_key_reused();
      return { deliveryId: seen.id, state: seen.state, replayed: true };
    }
    if (this.store.byReference(b.reference)) throw deliveryErrors.idempotency_key_reused('this reference is already booked under another idempotency key');
    const row = this.store.book({ idempotencyKey: b.idempotencyKey, requestHash: hash, reference: b.reference, received: JSON.stringify(b) });
    return { deliveryId: row.id, state: row.state, replayed: false };
  }

  cancel(reference: string): { deliveryId: string; state: DeliveryRow['state']; replayed: boolean } {
    const row = this.store.byReference(reference);
    if (!row) throw deliveryErrors.delivery_not_found(`no delivery for "${reference}"`);
    const changed = this.store.cancel(reference);
    return { deliveryId: row.id, state: 'cancelled', replayed: !changed };
  }

  list(): (DeliveryRow & { booking: CoordDeliveryBooking })[] {
    return this.store.list().map((d) => ({ ...d, booking: JSON.parse(d.received) as CoordDeliveryBooking }));
  }
}

/** The delivery service peer: its /s2s endpoints and its console (what it was asked to collect and deliver). */
export const deliveryModule = defineModule({
  name: 'delivery',
  errors: [deliveryErrors],
  migrations: [{ namespace: 'coord-peers', dir: fromRoot('partner-site/coord/peers/migrations') }],
  views: [fromRoot('partner-site/coord/views')],
  nav: [{ path: '/deliveries', title: 'Deliveries', group: 'Orders' }],
  create: ({ ctx }) => new DeliveryService(new DeliveryStore(ctx.db)),
  s2s: (router, d, deps) => {
    s2sEndpoint(router, deps, COORD_DELIVERY_BOOK, (_s2s, body) => {
      const r = d.book(body);
      return { status: r.replayed ? 200 : 201, body: r };
    });
    s2sEndpoint(router, deps, COORD_DELIVERY_CANCEL, (_s2s, body) => ({ body: d.cancel(body.reference) }));
  },
  consoleApi: (router, d) => {
    const r = express.Router();
    r.get('/deliveries', (_req, res) => {
      res.json({ deliveries: d.list() });
    });
    router.use(r);
  },
  consolePages: (router, d) => {
    const r = express.Router();
    r.get('/deliveries', (_req, res) => {
      res.render('coord-deliveries', { title: 'Deliveries', deliveries: d.list(), formatMoney });
    });
    router.use(r);
  },
});
