import express from 'express';
import { PAID_RECONCILIATION, PAID_STATEMENT_SUBMIT } from '../../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../../common/s2s/middleware.js';
import { formatMoney } from '../../../common/money.js';
import { DIFFERENCE_LABELS, PERIOD_RE } from '../../../common/paid/index.js';
import type { PortalService } from '../../portal/index.js';
import { reconcileErrors } from './errors.js';
import type { ReconcileService } from './reconcile-service.js';

const str = (v: unknown, max = 100): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);
const period = (v: unknown): string => {
  if (typeof v !== 'string' || !PERIOD_RE.test(v)) throw reconcileErrors.invalid_statement('the period is YYYY-MM');
  return v;
};
const money = (a: number, c: string) => formatMoney({ amount: a, currency: c });

/** Partners submit statements and read their reconciliation over the authenticated channel. */
export function mountReconcileEndpoints(router: express.Router, rec: ReconcileService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, PAID_STATEMENT_SUBMIT, (s2s, body) => ({ status: 201, body: rec.submit(s2s.peer.id, body) }));
  s2sEndpoint(router, deps, PAID_RECONCILIATION, (s2s, body) => {
    const v = rec.view(s2s.peer.id, body.period);
    if (!v) throw reconcileErrors.statement_not_found();
    return { body: v };
  });
}

/** /admin/api/paid: reconciliations, supplier contracts and supplier statements. */
export function reconcileApi(rec: ReconcileService): express.Router {
  const r = express.Router();
  const json = express.json({ limit: '256kb' });
  const by = (req: express.Request) => req.consoleUser?.username ?? 'operator';
  r.get('/paid/reconciliations', (req, res) => {
    res.json({ statements: rec.list(str(req.query.period)).map((s) => rec.view(s.partner, s.period, s.version)) });
  });
  r.get('/paid/reconciliations/:partner/:period', (req, res) => {
    const v = rec.view(req.params.partner, period(req.params.period), Number(req.query.version) || undefined);
    if (!v) throw reconcileErrors.statement_not_found();
    res.json(v);
  });
  r.post('/paid/reconciliations/:partner/:period/accept', json, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    res.json(rec.accept(req.params.partner, period(req.params.period), Number(b.version) || undefined, str(b.reason, 1000) ?? '', by(req)));
  });
  r.get('/paid/supplier-contracts', (req, res) => {
    res.json({ contracts: rec.store.contracts(str(req.query.supplier) ?? '') });
  });
  r.post('/paid/supplier-contracts', json, (req, res) => {
    res.status(201).json(rec.setContract(req.body, by(req)));
  });
  r.get('/paid/supplier-statements', (req, res) => {
    res.json({ statements: rec.store.supplierStatements({ supplier: str(req.query.supplier), period: str(req.query.period) }) });
  });
  r.get('/paid/supplier-statements/:supplier/:period', (req, res) => {
    const s = rec.store.latestSupplierStatement(req.params.supplier, period(req.params.period));
    if (!s) throw reconcileErrors.supplier_statement_not_found(`no statement for ${req.params.supplier} in ${req.params.period}`);
    res.json(s);
  });
  r.post('/paid/supplier-statements', json, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    res.status(201).json(rec.issueSupplierStatement(str(b.supplier) ?? '', period(b.period), by(req)));
  });
  return r;
}

/** /admin/paid/reconciliations: the list, one reconciliation (the same page the partner sees), and accepting a held one. */
export function reconcilePages(rec: ReconcileService): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const show = (req: express.Request, res: express.Response, o: { partner?: string; period?: string; notice?: string; error?: string }) => {
    const one = o.partner && o.period ? rec.view(o.partner, o.period, Number(req.query.version) || undefined) : undefined;
    if (o.partner && !one) res.status(404);
    res.render('paid-reconcile', {
      title: one ? `Reconciliation: ${one.partner} ${one.period}` : 'Reconciliation and supplier statements',
      r: one ?? null,
      list: rec.list(),
      supplierStatements: rec.store.supplierStatements(),
      labels: DIFFERENCE_LABELS,
      money,
      csrfToken: req.csrfToken,
      notice: o.notice ?? null,
      error: o.error ?? (o.partner && !one ? 'There is no statement for this partner and period.' : null),
    });
  };
  r.get('/paid/reconciliations', (req, res) => show(req, res, {}));
  r.get('/paid/reconciliations/:partner/:period', (req, res) => show(req, res, { partner: req.params.partner, period: req.params.period }));
  r.post('/paid/reconciliations/:partner/:period/accept', form, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    try {
      rec.accept(req.params.partner, period(req.params.period), Number(b.version) || undefined, str(b.reason, 1000) ?? '', req.consoleUser?.username ?? 'operator');
      show(req, res, { partner: req.params.partner, period: req.params.period, notice: 'Accepted; it now counts for supplier statements.' });
    } catch (err) {
      res.status(400);
      show(req, res, { partner: req.params.partner, period: req.params.period, error: (err as Error).message });
    }
  });
  return r;
}

/** The portal's "Payment statements" for suppliers: only statements made out to the signed-in party. */
export function addStatementsSection(portal: PortalService, rec: ReconcileService): void {
  portal.addSection({
    id: 'statements',
    title: 'Payment statements',
    kinds: ['supplier'],
    mount(router, tools) {
      const party = (req: express.Request) => tools.party(req);
      router.get('/', (req, res) => {
        res.render('paid-portal-statements', { title: 'Payment statements', statement: null, list: rec.store.supplierStatements({ party: party(req).id }), money });
      });
      router.get('/:supplier/:period', (req, res) => {
        const s = PERIOD_RE.test(req.params.period) ? rec.store.latestSupplierStatement(req.params.supplier, req.params.period) : undefined;
        // Another party's statement is answered exactly like one that does not exist.
        if (!s || s.party !== party(req).id) {
          res.status(404).render('paid-portal-statements', { title: 'Payment statements', statement: null, list: [], money });
          return;
        }
        res.render('paid-portal-statements', { title: `Payment statement ${s.period}`, statement: s, list: [], money });
      });
    },
  });
}
