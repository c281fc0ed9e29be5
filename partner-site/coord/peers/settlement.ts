import { createHash } from 'node:crypto';
import express from 'express';
import type { z } from 'zod';
import { defineModule } from '../../../common/module.js';
import { formatMoney } from '../../../common/money.js';
import { fromRoot } from '../../../common/paths.js';
import { COORD_SETTLE_AUTHORISE, COORD_SETTLE_CAPTURE, COORD_SETTLE_RELEASE } from '../../../common/protocol/coord.js';
import { s2sEndpoint } from '../../../common/s2s/middleware.js';
import { settlementErrors } from './errors.js';
import { SettlementStore, type AuthorisationRow } from './peer-store.js';

const hashOf = (o: unknown) => createHash('sha256').update(JSON.stringify(o)).digest('hex');

/** The demo agent declines a single authorisation above this (minor units): enough to show the refusal path. */
export const DEMO_AUTHORISATION_LIMIT = 1_000_000;

type AuthoriseBody = z.output<typeof COORD_SETTLE_AUTHORISE.request>;
type MoveBody = z.output<typeof COORD_SETTLE_CAPTURE.request>;

const answer = (a: AuthorisationRow, replayed: boolean) => ({
  authorisationId: a.id,
  authorised: { amount: a.amount, currency: a.currency },
  captured: { amount: a.captured, currency: a.currency },
  released: { amount: a.released, currency: a.currency },
  replayed,
});

/**
 * The demo settlement agent: authorises a total against a payment reference,
 * then captures each supplier's part on acceptance and releases it on refusal,
 * never more than was authorised, each step once per idempotency key.
 */
export class SettlementService {
  constructor(readonly store: SettlementStore) {}

  authorise(b: AuthoriseBody) {
    const hash = hashOf(b);
    const seen = this.store.authByKey(b.idempotencyKey);
    if (seen) {
      if (seen.requestHash !== hash) throw settlementErrors.idempotency_key_reused();
      return answer(seen, true);
    }
    if (b.amount.amount > DEMO_AUTHORISATION_LIMIT) throw settlementErrors.declined('the amount is above what this payment reference may spend');
    return answer(this.store.authorise({ idempotencyKey: b.idempotencyKey, requestHash: hash, paymentRef: b.paymentRef, amount: b.amount.amount, currency: b.amount.currency }), false);
  }

  move(kind: 'capture' | 'release', b: MoveBody) {
    const hash = hashOf({ kind, b });
    const seen = this.store.opByKey(b.idempotencyKey);
    if (seen) {
      if (seen.requestHash !== hash) throw settlementErrors.idempotency_key_reused();
      return answer(this.store.auth(seen.authorisationId)!, true);
    }
    const a = this.store.auth(b.authorisationId);
    if (!a) throw settlementErrors.authorisation_not_found(`no authorisation "${b.authorisationId}"`);
    if (a.currency !== b.amount.currency || a.captured + a.released + b.amount.amount > a.amount) throw settlementErrors.over_authorised();
    this.store.apply({ idempotencyKey: b.idempotencyKey, requestHash: hash, authorisationId: a.id, kind, part: b.part, amount: b.amount.amount, received: JSON.stringify(b) });
    return answer(this.store.auth(a.id)!, false);
  }
}

/** The settlement agent peer: its /s2s endpoints and its console (authorisations, captures, releases). */
export const settlementModule = defineModule({
  name: 'settlement',
  errors: [settlementErrors],
  migrations: [{ namespace: 'coord-peers', dir: fromRoot('partner-site/coord/peers/migrations') }],
  views: [fromRoot('partner-site/coord/views')],
  nav: [{ path: '/settlement', title: 'Settlement', group: 'Money' }],
  create: ({ ctx }) => new SettlementService(new SettlementStore(ctx.db)),
  s2s: (router, s, deps) => {
    s2sEndpoint(router, deps, COORD_SETTLE_AUTHORISE, (_s2s, body) => {
      const r = s.authorise(body);
      return { status: r.replayed ? 200 : 201, body: r };
    });
    s2sEndpoint(router, deps, COORD_SETTLE_CAPTURE, (_s2s, body) => ({ body: s.move('capture', body) }));
    s2sEndpoint(router, deps, COORD_SETTLE_RELEASE, (_s2s, body) => ({ body: s.move('release', body) }));
  },
  consoleApi: (router, s) => {
    const r = express.Router();
    r.get('/settlement', (_req, res) => {
      res.json({ authorisations: s.store.list() });
    });
    router.use(r);
  },
  consolePages: (router, s) => {
    const r = express.Router();
    r.get('/settlement', (_req, res) => {
      res.render('coord-settlement', { title: 'Settlement', authorisations: s.store.list(), formatMoney });
    });
    router.use(r);
  },
});
