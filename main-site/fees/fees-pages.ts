import express, { type Request, type Response } from 'express';
import { isPeriod } from '../../common/fees/engine.js';
import { publicError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { formatMoney } from '../../common/money.js';
import { defineBanners } from '../../common/web/banners.js';
import { confirmFirst } from '../../common/web/confirm.js';
import { currentPeriod } from './fees-api.js';
import { feeChart } from './fees-chart.js';
import { statementsCsv } from './fee-service.js';
import type { FeeService, PartnerStatement } from './fee-service.js';

const previousPeriods = (period: string, n: number): string[] => {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - (n - 1 - i), 1));
    return d.toISOString().slice(0, 7);
  });
};

/** What /admin/fees can say after a redirect (see common/web/banners.ts). */
export const FEES_BANNERS = defineBanners('main fees', {
  closed: { text: 'Closed {count#statement} for {period}.', params: { count: 'int', period: 'period' } },
});

/** /admin/fees: every partner's statement for a period, a 12-period chart each, close the period. */
export function feesPages(fees: FeeService, logger: Logger): express.Router {
  const r = express.Router();
  /** The period asked for, or why it is refused (a malformed one, or one that has not started). */
  const periodFrom = (q: unknown): { period: string; refused: string | null } => {
    const now = currentPeriod();
    if (q === undefined || q === '') return { period: now, refused: null };
    if (!isPeriod(q)) return { period: now, refused: `"${typeof q === 'string' ? q.slice(0, 40) : 'that'}" is not a period: write it as YYYY-MM, for example ${now}.` };
    if (q > now) return { period: now, refused: `${q} has not started yet: statements exist up to ${now}.` };
    return { period: q, refused: null };
  };
  r.get('/fees', (req: Request, res: Response) => {
    const { period, refused } = periodFrom(req.query.period);
    let statements: PartnerStatement[] = [];
    let error: string | null = refused;
    if (!refused) {
      try {
        statements = fees.statements(period);
      } catch (err) {
        // The page shows a client error's message, never an internal error's text.
        const out = publicError(err);
        if (out.internal) logger.error({ event: 'fee_statements_failed', err }, 'could not compute the fee statements');
        error = out.body.error.message;
      }
    }
    const charts = statements.map((s) => {
      const since = fees.contractSince(s.partner);
      const points = previousPeriods(period, 12).map((p) => {
        if (!since || p < since) return { period: p, total: null, accesses: null };
        try {
          const x = p === period ? s : fees.statement(s.partner, p);
          return { period: p, total: x.total, accesses: x.usage.pageAccesses.tieUp + x.usage.pageAccesses.original };
        } catch {
          return { period: p, total: null, accesses: null };
        }
      });
      return { partner: s.partner, svg: feeChart(points, s.currency, s.partner) };
    });
    res.status(refused ? 400 : 200).render('main-fees', {
      title: 'Partnership fees',
      period: refused && typeof req.query.period === 'string' ? req.query.period.slice(0, 40) : period,
      statements,
      charts,
      error,
      open: statements.filter((s) => s.status !== 'closed').length,
      banner: FEES_BANNERS.read(req.query),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
    });
  });
  r.get('/fees/statements.csv', (req: Request, res: Response) => {
    const { period, refused } = periodFrom(req.query.period);
    if (refused) {
      res.status(400).type('text/plain').send(`${refused}\n`);
      return;
    }
    res
      .type('text/csv')
      .set('Content-Disposition', `attachment; filename="statements-${period}.csv"`)
      .send(statementsCsv(fees.statements(period)));
  });
  r.post(
    '/fees/close',
    confirmFirst((req) => {
      const given = (req.body as Record<string, unknown>).period;
      const period = typeof given === 'string' ? given : '';
      return {
        title: `Close ${period}?`,
        consequence: `Closing ${period} freezes every partner's statement for it, each with its hash: its lines and totals can no longer change, and log entries for ${period} that arrive later become adjustment lines on a later statement. This cannot be undone.`,
        confirmLabel: `Close ${period}`,
        back: `/admin/fees?period=${encodeURIComponent(period)}`,
      };
    }),
  );
  r.post('/fees/close', (req, res) => {
    const period = String((req.body as Record<string, unknown>).period ?? '');
    if (!isPeriod(period)) {
      res.redirect(303, '/admin/fees');
      return;
    }
    const closed = fees.close(period, req.consoleUser?.username ?? 'operator');
    res.redirect(303, FEES_BANNERS.href('/admin/fees', 'closed', { count: closed.length, period }));
  });
  return r;
}
