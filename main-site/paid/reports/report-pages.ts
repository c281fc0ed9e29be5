import express from 'express';
import type { Request, Response } from 'express';
import { AppError } from '../../../common/errors.js';
import { formatMoney } from '../../../common/money.js';
import { daySpan } from '../../../common/web/format.js';
import type { PortalSection } from '../../portal/index.js';
import { CYCLES, cycleAt, isCycle } from './cycles.js';
import { toCsv, type CsvValue } from './csv.js';
import type { ReportService, SalesReport } from './report-service.js';
import type { Line } from './tabulate.js';

const LINE_HEADER = ['accesses', 'days_1_10', 'days_11_20', 'days_21_end', 'new', 'month_to_date', 'continuing', 'valid', 'previous_valid', 'growth_percent', 'sales_minor'];
const sales = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([c, a]) => `${a} ${c}`)
    .join('; ');
/** On the page, money as a reader reads it ("18.00 EUR"); CSV and JSON keep minor units. */
const salesText = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([currency, amount]) => formatMoney({ amount, currency }))
    .join('; ');
const lineCells = (l: Line): CsvValue[] => [l.accesses, ...l.tenDays, l.registered, l.monthToDate, l.continuing, l.valid, l.previousValid, l.growth, sales(l.sales)];

/**
 * A report as CSV (RFC 4180). `items`: per item totalled by partner, one
 * record per item and partner and a TOTAL record per item; `partners`: per
 * partner totalled by item. Every record names the cycle, so files join.
 */
export function reportCsv(r: SalesReport, view: 'items' | 'partners'): string {
  const head = ['cycle', 'period', 'item', 'title', 'category', 'partner', 'rank', 'category_rank', ...LINE_HEADER];
  const rows: CsvValue[][] = [];
  if (view === 'items') {
    for (const i of r.items) {
      for (const p of i.partners) rows.push([r.cycle, r.period, i.item, i.title, i.category, p.partner, i.rank, i.categoryRank, ...lineCells(p)]);
      rows.push([r.cycle, r.period, i.item, i.title, i.category, 'TOTAL', i.rank, i.categoryRank, ...lineCells(i.total)]);
    }
  } else {
    const rankOf = new Map(r.items.map((i) => [i.item, i]));
    for (const p of r.partners) {
      for (const i of p.items) {
        const row = rankOf.get(i.item);
        rows.push([r.cycle, r.period, i.item, row?.title, row?.category, p.partner, row?.rank, row?.categoryRank, ...lineCells(i)]);
      }
      rows.push([r.cycle, r.period, 'TOTAL', '', '', p.partner, null, null, ...lineCells(p.total)]);
    }
  }
  rows.push([r.cycle, r.period, 'TOTAL', '', '', 'TOTAL', null, null, ...lineCells(r.total)]);
  return toCsv(head, rows);
}

const q = (req: Request, k: string): string | undefined => (typeof req.query[k] === 'string' ? req.query[k].slice(0, 100) : undefined);
const viewOf = (req: Request): 'items' | 'partners' => (q(req, 'view') === 'partners' ? 'partners' : 'items');

/** Answers a report as the request's format asks: csv, json, or the page. */
function answer(req: Request, res: Response, r: SalesReport, page: () => void): void {
  const format = q(req, 'format');
  const name = `sales-${r.supplier ?? 'all'}-${r.cycle}-${r.period}`;
  if (format === 'csv') {
    res
      .type('text/csv; charset=utf-8; header=present')
      .set('Content-Disposition', `attachment; filename="${name}-${viewOf(req)}.csv"`)
      .send(reportCsv(r, viewOf(req)));
  } else if (format === 'json') {
    res.set('Content-Disposition', `inline; filename="${name}.json"`).json({ report: r });
  } else page();
}

function pageLocals(req: Request, r: SalesReport, base: string) {
  const query = (over: Record<string, string>) => {
    const p = new URLSearchParams({ cycle: r.cycle, period: r.period, view: viewOf(req), ...(q(req, 'item') ? { item: q(req, 'item')! } : {}), ...over });
    return `${base}?${p.toString()}`;
  };
  // The report opens on the last closed cycle (what is sent); the one in progress is a link away.
  const current = isCycle(r.cycle) ? cycleAt(r.cycle, new Date()).period : r.period;
  return { report: r, view: viewOf(req), cycles: CYCLES, query, sales: salesText, current, span: daySpan(r.from, r.to) };
}

/** /admin/api/paid/reports: JSON (default) or CSV of every item, or one supplier's; the suppliers' cycles; the reports sent. */
export function reportApi(reports: ReportService): express.Router {
  const r = express.Router();
  r.get('/paid/reports', (req, res) => {
    const w = reports.window(q(req, 'cycle'), q(req, 'period'));
    let report = reports.report(w, q(req, 'supplier') ?? null);
    if (q(req, 'item')) report = reports.itemOf(report, q(req, 'item')!);
    if (q(req, 'format') === 'csv') return answer(req, res, report, () => undefined);
    res.json({ report });
  });
  r.get('/paid/reports/sent', (req, res) => {
    res.json({ sent: reports.store.sentReports(q(req, 'supplier') ?? '') });
  });
  r.get('/paid/reports/cycles/:supplier', (req, res) => {
    res.json({ cycles: reports.cycles(req.params.supplier) });
  });
  r.put('/paid/reports/cycles/:supplier', express.json({ limit: '4kb' }), (req, res) => {
    res.json({ cycles: reports.setCycles(req.params.supplier, (req.body ?? {}) as Record<string, unknown>, req.consoleUser?.username ?? 'operator') });
  });
  r.post('/paid/reports/close', express.json({ limit: '1kb' }), (_req, res) => {
    res.json(reports.closeCycles());
  });
  return r;
}

/** /admin/paid/reports: the operator's page (every item, or one supplier's). */
export function reportConsolePages(reports: ReportService): express.Router {
  const r = express.Router();
  r.get('/paid/reports', (req, res) => {
    const w = reports.window(q(req, 'cycle'), q(req, 'period'));
    const supplier = q(req, 'supplier') || null;
    let report = reports.report(w, supplier);
    if (q(req, 'item')) report = reports.itemOf(report, q(req, 'item')!);
    answer(req, res, report, () =>
      res.render('main-paid-reports', { title: 'Sales reports', ...pageLocals(req, report, '/admin/paid/reports'), supplierFilter: supplier, sent: reports.store.sentReports(supplier ?? '', 50) }),
    );
  });
  return r;
}

/**
 * The suppliers' "Sales reports" portal section: the signed-in supplier's
 * items only (the supplier is the session's party, never a request
 * parameter), as a page, CSV or JSON, and its choice of cycles.
 */
export function reportSection(reports: ReportService): PortalSection {
  return {
    id: 'sales',
    title: 'Sales reports',
    kinds: ['supplier'],
    mount(router, tools) {
      const party = (req: Request) => tools.party(req);
      router.get('/', (req, res) => {
        const me = party(req);
        let report: SalesReport;
        try {
          const w = reports.window(q(req, 'cycle'), q(req, 'period'));
          report = reports.report(w, me.id);
          if (q(req, 'item')) report = reports.itemOf(report, q(req, 'item')!);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          res.status(err.status).type('text/plain').send(err.message);
          return;
        }
        answer(req, res, report, () =>
          res.render('portal-sales', { title: 'Sales reports', ...pageLocals(req, report, '/portal/sales/'), choice: reports.cycles(me.id), saved: q(req, 'saved') === '1' }),
        );
      });
      router.post('/cycles', (req, res) => {
        const me = party(req);
        const body = (req.body ?? {}) as Record<string, unknown>;
        try {
          reports.setCycles(me.id, { daily: body.daily, weekly: body.weekly, monthly: body.monthly }, `party:${me.id}`);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          res.status(err.status).type('text/plain').send(err.message);
          return;
        }
        res.redirect(303, '/portal/sales/?saved=1');
      });
    },
  };
}
