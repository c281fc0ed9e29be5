import express, { type Request, type Response } from 'express';
import { isPeriod } from '../../common/fees/engine.js';
import { publicError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { formatMoney } from '../../common/money.js';
import { defineBanners } from '../../common/web/banners.js';
import { confirmFirst } from '../../common/web/confirm.js';
import { currentPeriod } from './fees-api.js';
import type { FeeService, PartnerStatement } from './fee-service.js';

const previousPeriods = (period: string, n: number): string[] => {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - (n - 1 - i), 1));
    return d.toISOString().slice(0, 7);
  });
};

/** A small inline SVG: fee as bars, page accesses as a line, over the last 12 periods. */
function chart(points: { period: string; total: number; accesses: number }[], currency: string): string {
  const w = 420;
  const h = 120;
  const maxFee = Math.max(1, ...points.map((p) => p.total));
  const maxAcc = Math.max(1, ...points.map((p) => p.accesses));
  const step = w / points.length;
  const bars = points
    .map(
      (p, i) =>
        `<rect x="${(i * step + 2).toFixed(1)}" y="${(h - (p.total / maxFee) * (h - 16)).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${((p.total / maxFee) * (h - 16)).toFixed(1)}" fill="#9db7e0"><title>${p.period}: ${formatMoney({ amount: p.total, currency })}, ${p.accesses} page accesses</title></rect>`,
    )
    .join('');
  const line = points.map((p, i) => `${(i * step + step / 2).toFixed(1)},${(h - (p.accesses / maxAcc) * (h - 16)).toFixed(1)}`).join(' ');
  const labels = points.map((p, i) => (i % 3 === 0 ? `<text x="${(i * step + 2).toFixed(1)}" y="${h + 12}" font-size="9" fill="#6b7480">${p.period}</text>` : '')).join('');
  return `<svg viewBox="0 0 ${w} ${h + 14}" width="${w}" height="${h + 14}" role="img" aria-label="fee and traffic over 12 periods">${bars}<polyline points="${line}" fill="none" stroke="#c2571a" stroke-width="2"/>${labels}</svg>`;
}

/** What /admin/fees can say after a redirect (see common/web/banners.ts). */
export const FEES_BANNERS = defineBanners('main fees', {
  closed: { text: 'Closed {count#statement} for {period}.', params: { count: 'int', period: 'period' } },
});

/** /admin/fees: every partner's statement for a period, a 12-period chart each, close the period. */
export function feesPages(fees: FeeService, logger: Logger): express.Router {
  const r = express.Router();
  r.get('/fees', (req: Request, res: Response) => {
    const period = isPeriod(req.query.period) ? req.query.period : currentPeriod();
    let statements: PartnerStatement[] = [];
    let error: string | null = null;
    try {
      statements = fees.statements(period);
    } catch (err) {
      // The page shows a client error's message, never an internal error's text.
      const out = publicError(err);
      if (out.internal) logger.error({ event: 'fee_statements_failed', err }, 'could not compute the fee statements');
      error = out.body.error.message;
    }
    const charts = statements.map((s) => {
      const points = previousPeriods(period, 12).map((p) => {
        try {
          const x = fees.statement(s.partner, p);
          return { period: p, total: x.total, accesses: x.usage.pageAccesses.tieUp + x.usage.pageAccesses.original };
        } catch {
          return { period: p, total: 0, accesses: 0 };
        }
      });
      return { partner: s.partner, svg: chart(points, s.currency) };
    });
    res.render('main-fees', {
      title: 'Partnership fees',
      period,
      statements,
      charts,
      error,
      banner: FEES_BANNERS.read(req.query),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
    });
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
