import express from 'express';
import type { SiteContext } from '../../common/site/context.js';
import { DIFFERENCE_LABELS, parseStatementCsv, PERIOD_RE, statementCsv } from '../../common/paid/index.js';
import { AppError } from '../../common/errors.js';
import type { PartnerPaid } from './partner-paid.js';
import { PartnerReconcile } from './reconcile-service.js';

const instances = new WeakMap<PartnerPaid, PartnerReconcile>();
export function reconcileFor(ctx: SiteContext, paid: PartnerPaid): PartnerReconcile {
  let r = instances.get(paid);
  if (!r) instances.set(paid, (r = new PartnerReconcile(ctx, paid.store)));
  return r;
}

const periodOf = (v: unknown): string | undefined => (typeof v === 'string' && PERIOD_RE.test(v) ? v : undefined);
const badPeriod = (res: express.Response) => res.status(400).json({ error: { code: 'invalid_statement', message: 'the period is YYYY-MM' } });

/** /manage/api/paid: submit a sales statement (from records, or CSV) and read its reconciliation. */
export function reconcileApi(rec: PartnerReconcile): express.Router {
  const r = express.Router();
  r.post('/paid/statements', express.json({ limit: '8mb' }), async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const period = periodOf(b.period);
    if (!period) return badPeriod(res);
    if (typeof b.csv === 'string') {
      let lines;
      try {
        lines = parseStatementCsv(b.csv);
      } catch (err) {
        return res.status(400).json({ error: { code: 'invalid_statement', message: (err as Error).message } });
      }
      return res.status(201).json(await rec.submitLines(period, typeof b.currency === 'string' ? b.currency : 'EUR', lines));
    }
    res.status(201).json(await rec.submitFromRecords(period));
  });
  r.get('/paid/statements/:period.csv', (req, res) => {
    const period = periodOf(req.params.period);
    if (!period) return badPeriod(res);
    res.type('text/csv').send(statementCsv(rec.fromRecords(period).lines));
  });
  r.get('/paid/reconciliation/:period', async (req, res) => {
    const period = periodOf(req.params.period);
    if (!period) return badPeriod(res);
    res.json(await rec.reconciliation(period));
  });
  return r;
}

/** /manage/paid/reconciliation: submit and see the same reconciliation page the main site's operator sees. */
export function reconcilePages(rec: PartnerReconcile): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8mb' });
  const show = async (req: express.Request, res: express.Response, period: string | undefined, notice: string | null, error: string | null) => {
    let one = null;
    if (period && !error) {
      try {
        one = await rec.reconciliation(period);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'statement_not_found')) error = (err as Error).message;
      }
    }
    res.render('partner-reconcile', { title: 'Sales statements and reconciliation', period: period ?? '', r: one, labels: DIFFERENCE_LABELS, csrfToken: req.csrfToken, notice, error });
  };
  r.get('/paid/reconciliation', (req, res) => show(req, res, periodOf(req.query.period), null, null));
  r.post('/paid/reconciliation', form, async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const period = periodOf(b.period);
    if (!period) return void (await show(req, res.status(400), undefined, null, 'The period is YYYY-MM.'));
    try {
      if (typeof b.csv === 'string' && b.csv.trim()) await rec.submitLines(period, typeof b.currency === 'string' && b.currency ? b.currency : 'EUR', parseStatementCsv(b.csv));
      else await rec.submitFromRecords(period);
      await show(req, res, period, 'Submitted.', null);
    } catch (err) {
      await show(req, res.status(400), period, null, (err as Error).message);
    }
  });
  return r;
}
