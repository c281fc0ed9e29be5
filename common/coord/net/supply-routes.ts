import express from 'express';
import { z } from 'zod';
import { expectNoOptions, formBody } from '../../http/bodies.js';
import { formatMoney } from '../../money.js';
import { COORD_ORDER, COORD_QUOTE, COORD_WITHDRAW } from '../../protocol/coord.js';
import { s2sEndpoint, type S2SServerDeps } from '../../s2s/middleware.js';
import { supplyErrors } from './errors.js';
import type { SupplyService } from './supply.js';

/** The supplier's /s2s endpoints: the coordinator (the main site) asks for quotes, sends orders and withdraws them. */
export function mountSupplyEndpoints(router: express.Router, supply: SupplyService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, COORD_QUOTE, async (_s2s, body) => ({ body: await supply.quote(body) }));
  s2sEndpoint(router, deps, COORD_ORDER, (_s2s, body) => {
    const r = supply.receive(body);
    return { status: r.replayed ? 200 : 201, body: r };
  });
  s2sEndpoint(router, deps, COORD_WITHDRAW, (_s2s, body) => ({ body: supply.withdraw(body.orderId, body.reason) }));
}

const decisionBody = z.strictObject({ reason: z.string().max(200).optional() });

const parseDecision = (body: unknown) => {
  const r = decisionBody.safeParse(body ?? {});
  if (!r.success) throw supplyErrors.invalid_decision(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
};

/** <console>/api/coord/supply and /coord/supply/orders: the supplier's profile and the orders it received, accepted or refused here. */
export function supplyApi(supply: SupplyService): express.Router {
  const r = express.Router();
  r.get('/coord/supply', (_req, res) => {
    res.json({ profile: supply.profile() });
  });
  r.put('/coord/supply', (req, res) => {
    res.json({ profile: supply.setProfile(req.body) });
  });
  r.get('/coord/supply/orders', (_req, res) => {
    res.json({ orders: supply.orders() });
  });
  r.get('/coord/supply/orders/:id', (req, res) => {
    const o = supply.view(String(req.params.id));
    if (!o) throw supplyErrors.order_not_found(`no order "${String(req.params.id)}"`);
    res.json({ order: o });
  });
  for (const decision of ['accepted', 'refused'] as const) {
    r.post(`/coord/supply/orders/:id/${decision === 'accepted' ? 'accept' : 'refuse'}`, (req, res) => {
      const body = parseDecision(req.body);
      if (decision === 'accepted') expectNoOptions(req.body);
      res.json({ order: supply.decide(String(req.params.id), decision, body.reason, req.consoleUser?.username ?? 'operator') });
    });
  }
  return r;
}

/** <console>/coord/supply: the orders this supplier received, with exactly what it was told, and accept/refuse. */
export function supplyPages(supply: SupplyService, basePath: string): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '4kb' });
  const show = (req: express.Request, res: express.Response, notice: string | null, error: string | null) =>
    res.render('coord-supply', {
      title: 'Component orders',
      profile: supply.profile(),
      orders: supply.orders(),
      basePath,
      csrfToken: req.csrfToken,
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
      notice,
      error,
    });
  r.get('/coord/supply', (req, res) => show(req, res, null, null));
  r.post('/coord/supply/orders/:id/decide', form, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const decision = b.decision === 'accept' ? 'accepted' : b.decision === 'refuse' ? 'refused' : null;
    try {
      if (!decision) throw supplyErrors.invalid_decision('choose accept or refuse');
      const reason = typeof b.reason === 'string' && b.reason.trim() ? b.reason.trim().slice(0, 200) : undefined;
      const o = supply.decide(String(req.params.id), decision, reason, req.consoleUser?.username ?? 'operator');
      show(req, res, `Order ${o.orderId} ${o.state}.`, null);
    } catch (err) {
      res.status(400);
      show(req, res, null, (err as Error).message);
    }
  });
  return r;
}
