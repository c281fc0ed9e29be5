import express from 'express';
import { z } from 'zod';
import { explainPlan, planRequest, priorities } from '../../common/coord/index.js';
import { supplyApi } from '../../common/coord/net/index.js';
import { COORD_DECISION } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { expectNoOptions } from '../../common/http/bodies.js';
import { parseInput, type Coordinator } from './coordinator.js';

/** Suppliers answer their orders here (the coordinator checks the order was sent to the caller). */
export function mountCoordEndpoints(router: express.Router, coord: Coordinator, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, COORD_DECISION, async (s2s, body) => ({ body: await coord.decide(s2s.peer.id, body) }));
}

const partyInput = z.strictObject({ kind: z.enum(['supplier', 'delivery', 'settlement']) });
const quoteInput = z.strictObject({ request: planRequest, deadlineMs: z.int().min(50).max(60_000).optional() });
const planInput = z.strictObject({ quoteSetId: z.string().min(1).max(80), priorities });

/** /admin/api/coord: parties, the central stock, quote rounds and plans (for the CLI), and every order group with what each party was sent. */
export function coordApi(coord: Coordinator): express.Router {
  const r = express.Router();
  r.use(supplyApi(coord.central));
  r.get('/coord/parties', (_req, res) => {
    res.json({ parties: coord.store.parties(), suppliers: coord.suppliers(), delivery: coord.partiesOf('delivery'), settlement: coord.partiesOf('settlement') });
  });
  r.put('/coord/parties/:peer', (req, res) => {
    const { kind } = parseInput(partyInput, req.body);
    coord.setParty(String(req.params.peer), kind, req.consoleUser?.username ?? 'operator');
    res.json({ parties: coord.store.parties() });
  });
  r.delete('/coord/parties/:peer', (req, res) => {
    expectNoOptions(req.body);
    coord.removeParty(String(req.params.peer));
    res.json({ parties: coord.store.parties() });
  });
  r.post('/coord/quotes', async (req, res) => {
    const input = parseInput(quoteInput, req.body);
    res.status(201).json({ round: await coord.quote(input.request, input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}) });
  });
  r.post('/coord/plans', (req, res) => {
    const input = parseInput(planInput, req.body);
    const plan = coord.plan(coord.round(input.quoteSetId), input.priorities);
    res.json({ plan, explanation: explainPlan(plan) });
  });
  r.get('/coord/groups', (_req, res) => {
    res.json({ groups: coord.store.groups({ limit: 200 }).map((g) => coord.view(g)) });
  });
  r.get('/coord/groups/:id', (req, res) => {
    res.json(coord.operatorView(String(req.params.id)));
  });
  return r;
}
