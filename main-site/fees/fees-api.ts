import express, { type Request } from 'express';
import { FEES_STATEMENT } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { isPeriod } from '../../common/fees/engine.js';
import { statementsCsv, type FeeService } from './fee-service.js';
import { feesErrors } from './errors.js';

const periodOf = (v: unknown): string => {
  if (!isPeriod(v)) throw feesErrors.invalid_request('period must be YYYY-MM');
  return v;
};
export const currentPeriod = (): string => new Date().toISOString().slice(0, 7);

/** /admin/api: fee contracts and statements (JSON, or CSV with ?format=csv). */
export function feesApi(fees: FeeService): express.Router {
  const r = express.Router();
  const who = (req: Request) => req.consoleUser?.username ?? 'operator';
  r.get('/partners/:id/fee-contract', (req, res) => {
    const c = fees.contract(String(req.params.id));
    if (!c) throw feesErrors.no_fee_contract(`partner "${req.params.id}" has no fee contract`);
    res.json(c);
  });
  r.put('/partners/:id/fee-contract', (req, res) => {
    res.json(fees.setContract(String(req.params.id), req.body, who(req)));
  });
  r.get('/fees/statements', (req, res) => {
    const period = req.query.period === undefined ? currentPeriod() : periodOf(req.query.period);
    const statements = fees.statements(period);
    if (req.query.format === 'csv') {
      res.type('text/csv').set('Content-Disposition', `attachment; filename="statements-${period}.csv"`).send(statementsCsv(statements));
      return;
    }
    res.json({ period, statements });
  });
  r.get('/fees/statements/:partner/:period', (req, res) => {
    res.json(fees.statement(String(req.params.partner), periodOf(req.params.period)));
  });
  r.post('/fees/close', (req, res) => {
    res.json({ statements: fees.close(periodOf((req.body as { period?: unknown } | undefined)?.period), who(req)) });
  });
  return r;
}

/** A partner reads its own statements over the authenticated channel. */
export function mountPartnerFees(router: express.Router, fees: FeeService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, FEES_STATEMENT, (s2s, body) => ({ body: fees.statement(s2s.peer.id, body.period) }));
}
