import { formatMoney } from '../../common/money.js';
import { escapeHtml as e } from '../../common/render/page-renderer.js';

/** One period of a partner's chart; `total` and `accesses` are null for a period before its fee contract (nothing is drawn). */
export interface ChartPoint {
  period: string;
  total: number | null;
  accesses: number | null;
}

const W = 600;
const BAR = '#5b7fb8';
/** A period without a single page access: its fee (fixed terms only) is drawn pale, so quiet months do not look like busy ones. */
const QUIET = '#c5d3e8';
const H = 240;
const M = { left: 78, right: 64, top: 28, bottom: 44 };

/** Round axis maxima (1, 2 or 5 times a power of ten) so tick labels are readable numbers. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * The fee (bars, left axis, each bar with its amount) and the page accesses
 * (line with points, right axis) over the periods given, with both axes, every
 * period labelled and a legend. Periods before the fee contract draw nothing
 * and say so, so months without a contract are not mistaken for months of
 * equal fees. The numbers are also in the statement table, for screen readers.
 */
export function feeChart(points: ChartPoint[], currency: string, partner: string): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const known = points.filter((p) => p.total !== null);
  const feeMax = niceMax(Math.max(0, ...known.map((p) => p.total!)));
  const accMax = niceMax(Math.max(0, ...known.map((p) => p.accesses!)));
  const step = plotW / points.length;
  const y = (v: number, max: number) => M.top + plotH - (v / max) * plotH;
  const money = (a: number) => formatMoney({ amount: a, currency });
  const out: string[] = [];
  // Axes and ticks: 0, half, max on both sides.
  for (const f of [0, 0.5, 1]) {
    const yy = (M.top + plotH - f * plotH).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#d5dae1" stroke-width="1"/>`);
    out.push(`<text x="${M.left - 6}" y="${yy}" dy="3" text-anchor="end" font-size="10" fill="#3d4550">${e(money(Math.round(f * feeMax)))}</text>`);
    out.push(`<text x="${W - M.right + 6}" y="${yy}" dy="3" font-size="10" fill="#8a3a0c">${Math.round(f * accMax).toLocaleString('en')}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#3d4550"/>`);
  out.push(`<line x1="${W - M.right}" x2="${W - M.right}" y1="${M.top}" y2="${M.top + plotH}" stroke="#8a3a0c"/>`);
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#3d4550"/>`);
  points.forEach((p, i) => {
    const cx = M.left + i * step + step / 2;
    out.push(`<text x="${cx.toFixed(1)}" y="${M.top + plotH + 14}" text-anchor="middle" font-size="9" fill="#3d4550">${e(p.period.slice(2))}</text>`);
    if (p.total === null) {
      out.push(`<text x="${cx.toFixed(1)}" y="${M.top + plotH - 4}" text-anchor="middle" font-size="9" fill="#6b7480"><title>${e(p.period)}: before the fee contract</title>–</text>`);
      return;
    }
    const top = y(p.total, feeMax);
    out.push(
      `<rect x="${(cx - step / 2 + 3).toFixed(1)}" y="${top.toFixed(1)}" width="${(step - 6).toFixed(1)}" height="${(M.top + plotH - top).toFixed(1)}" fill="${p.accesses === 0 ? QUIET : BAR}"><title>${e(p.period)}: ${e(money(p.total))}, ${p.accesses === 0 ? 'no page accesses' : `${p.accesses!.toLocaleString('en')} page accesses`}</title></rect>`,
    );
    out.push(`<text x="${cx.toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="8" fill="#1f2933">${e(money(p.total).replace(/\s?[A-Z]{3}$/, ''))}</text>`);
  });
  const line = points.map((p, i) => (p.accesses === null ? null : `${(M.left + i * step + step / 2).toFixed(1)},${y(p.accesses, accMax).toFixed(1)}`)).filter((x): x is string => x !== null);
  if (line.length > 1) out.push(`<polyline points="${line.join(' ')}" fill="none" stroke="#c2571a" stroke-width="2"/>`);
  for (const pt of line) {
    const [cx, cy] = pt.split(',');
    out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="#c2571a"/>`);
  }
  out.push(`<text x="${M.left - 6}" y="${M.top - 10}" text-anchor="end" font-size="10" fill="#3d4550">Fee (${e(currency)})</text>`);
  out.push(`<text x="${W - M.right + 6}" y="${M.top - 10}" font-size="10" fill="#8a3a0c">Accesses</text>`);
  // Legend.
  const ly = H - 10;
  out.push(
    `<rect x="${M.left}" y="${ly - 8}" width="12" height="10" fill="${BAR}"/><text x="${M.left + 16}" y="${ly}" font-size="10" fill="#1f2933">Fee (left axis)</text><rect x="${M.left + 96}" y="${ly - 8}" width="12" height="10" fill="${QUIET}"/><text x="${M.left + 112}" y="${ly}" font-size="10" fill="#1f2933">no accesses</text>`,
  );
  out.push(
    `<line x1="${M.left + 186}" x2="${M.left + 202}" y1="${ly - 3}" y2="${ly - 3}" stroke="#c2571a" stroke-width="2"/><circle cx="${M.left + 194}" cy="${ly - 3}" r="3" fill="#c2571a"/><text x="${M.left + 208}" y="${ly}" font-size="10" fill="#1f2933">Page accesses (right axis)</text>`,
  );
  out.push(`<text x="${M.left + 350}" y="${ly}" font-size="10" fill="#1f2933">– before the fee contract</text>`);
  const first = known[0]?.period;
  const label = `${partner}: fee and page accesses per period, ${points[0]!.period} to ${points.at(-1)!.period}${first && first !== points[0]!.period ? `; no fee contract before ${first}` : ''}`;
  return `<svg class="fee-chart" viewBox="0 0 ${W} ${H}" width="100%" style="max-width:${W}px" role="img" aria-label="${e(label)}">${out.join('')}</svg>`;
}
