import express, { type Request, type Response } from 'express';
import { PLANNED_DELIVERY, PLANNED_ORDER_PLACE } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { publicError } from '../../common/errors.js';
import { formatMoney } from '../../common/money.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import { plannedErrors } from './errors.js';
import { amountFromText } from './form-spec.js';
import { periodOf, PlannedService } from './planned-service.js';

/** Partners forward orders in the common format and fetch deliveries here, over the authenticated channel. */
export function mountPlannedEndpoints(router: express.Router, planned: PlannedService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, PLANNED_ORDER_PLACE, (s2s, body) => {
    const receipt = planned.placeOrder(s2s.peer.id, body);
    return { status: receipt.replayed ? 200 : 201, body: receipt };
  });
  s2sEndpoint(router, deps, PLANNED_DELIVERY, async (s2s, body) => {
    const d = await planned.deliver(s2s.peer.id, body);
    return { body: { receipt: d.receipt, fileName: d.fileName, contentType: d.contentType, inline: d.inline, data: d.data.toString('base64') } };
  });
}

const by = (req: Request) => req.consoleUser?.username ?? 'operator';

/** /admin/api/planned/...: the console's JSON API (bearer tokens), also what `tieup planners|pages|contributions` call. */
export function plannedApi(planned: PlannedService): express.Router {
  const r = express.Router();
  const b = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
  r.get('/planned/applications', (req, res) => {
    const status = req.query.status;
    res.json({ applications: planned.applications(status === 'pending' || status === 'approved' || status === 'rejected' ? status : undefined) });
  });
  r.post('/planned/applications/:id/approve', (req, res) => {
    const out = planned.approve(String(req.params.id), b(req), by(req));
    res.status(201).json(out);
  });
  r.post('/planned/applications/:id/reject', (req, res) => {
    const reason = b(req).reason;
    res.json({ application: planned.reject(String(req.params.id), typeof reason === 'string' ? reason : '', by(req)) });
  });
  r.get('/planned/planners', (_req, res) => {
    res.json({ planners: planned.planners().map((p) => ({ ...p, contract: planned.contractAt(p.partyId) ?? null, pages: planned.pagesOf(p.partyId).length })) });
  });
  r.post('/planned/planners/:id/contract', (req, res) => {
    res.status(201).json({ contract: planned.changeContract(String(req.params.id), b(req)) });
  });
  r.put('/planned/planners/:id/carried-by', (req, res) => {
    res.json({ planner: planned.setCarriedBy(String(req.params.id), b(req).carriedBy) });
  });
  r.get('/planned/pages', (req, res) => {
    const all = planned.store.pages();
    const state = req.query.state;
    res.json({
      pages: all
        .filter((p) => !state || p.state === state)
        .map((p) => ({ id: p.id, planner: p.planner, state: p.state, title: p.spec.title, openedAt: p.openedAt, contributions: planned.store.contributionsOfPage(p.id).length })),
    });
  });
  r.get('/planned/contributions', (req, res) => {
    const state = req.query.state;
    const page = typeof req.query.page === 'string' ? req.query.page : undefined;
    const pages = page ? [page] : planned.store.pages().map((p) => p.id);
    // Titles, states and sizes only: the console lists contributions, it does not republish their content.
    res.json({
      contributions: pages
        .flatMap((id) => planned.store.contributionsOfPage(id))
        .filter((c) => !state || c.state === state)
        .map((c) => ({
          id: c.id,
          page: c.pageId,
          contributor: c.contributor,
          kind: c.kind,
          title: c.title,
          state: c.state,
          reason: c.reason,
          size: c.file?.size ?? c.body.length,
          createdAt: c.createdAt,
        })),
    });
  });
  r.get('/planned/orders', (_req, res) => {
    res.json({ orders: planned.orders().map(({ requestHash: _h, ...o }) => o) });
  });
  r.post('/planned/orders/:id/refund', (req, res) => {
    res.json({ order: planned.refund(String(req.params.id), b(req), by(req)) });
  });
  r.get('/planned/totals', (req, res) => {
    const period = typeof req.query.period === 'string' ? req.query.period : periodOf(new Date());
    res.json(planned.totals(period));
  });
  r.post('/planned/totals/:period/send', (req, res) => {
    res.json({ sent: planned.sendTotals(String(req.params.period)) });
  });
  return r;
}

const pct = (s: string) => {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) throw plannedErrors.invalid_input('a share is a percentage like 30 or 12.5');
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
};

/** Contract terms from the console's approval form (checked strictly by the shares module's schema). */
export function termsFromForm(f: Record<string, unknown>): unknown {
  const s = (k: string) => (typeof f[k] === 'string' ? f[k] : '');
  const currency = s('currency') || 'EUR';
  const basis = s('basis');
  return {
    currency,
    plannerShareBps: pct(s('plannerShare')),
    contributorPay: basis === 'fixed_fee' ? { basis, fee: amountFromText(s('fee'), currency) ?? 0 } : { basis, bps: pct(s('contributorShare')) },
    partnerHandlingBps: pct(s('partnerShare')),
    mainShare: { type: 'remainder' },
    holdingDays: Number(s('holdingDays') || '0'),
    payoutMinimum: amountFromText(s('payoutMinimum'), currency) ?? 0,
    statementCycle: s('statementCycle') || 'monthly',
  };
}

function contractFields(): string {
  return (
    `<label>Currency <select name="currency"><option>EUR</option><option>USD</option><option>GBP</option><option>JPY</option></select></label> ` +
    `<label>Planner share % <input name="plannerShare" value="40" size="5"></label> ` +
    `<label>Contributors paid by <select name="basis"><option value="contribution_sales">share of each sale of their contribution</option><option value="page_sales_by_use">share of the page's sales by use count</option><option value="fixed_fee">fixed fee per accepted contribution</option></select></label> ` +
    `<label>Contributor share % <input name="contributorShare" value="30" size="5"></label> <label>or fixed fee <input name="fee" value="" size="6"></label> ` +
    `<label>Partner handling share % <input name="partnerShare" value="10" size="5"></label> ` +
    `<label>Holding days <input name="holdingDays" value="14" size="4"></label> <label>Payout minimum <input name="payoutMinimum" value="10.00" size="7"></label> ` +
    `<label>Statements <select name="statementCycle"><option>monthly</option><option>weekly</option><option>daily</option></select></label> ` +
    `<label>Partners carrying the pages <input name="carriedBy" value="all" size="14" title="all, none, or partner ids separated by commas"></label>`
  );
}

/** /admin/planned: applications (approve with a contract, or reject), planners, orders (refund). */
export function plannedPages(planned: PlannedService): express.Router {
  const r = express.Router();
  const show = (req: Request, res: Response, notice: string | null, error: string | null, status = 200) => {
    const csrf = `<input type="hidden" name="_csrf" value="${esc(req.csrfToken ?? '')}">`;
    const apps = planned
      .applications('pending')
      .map(
        (a) =>
          `<section class="card" data-application="${esc(a.id)}"><h3>${esc(a.displayName)} <small>${esc(a.email)}, /planners/${esc(a.slug)}</small></h3><p>${esc(a.pitch)}</p>` +
          `<form method="post" action="/admin/planned/applications/${esc(a.id)}/approve">${csrf}${contractFields()} <button type="submit">Approve with this contract</button></form>` +
          `<form method="post" action="/admin/planned/applications/${esc(a.id)}/reject">${csrf}<label>Reason <input name="reason" required></label> <button type="submit">Reject</button></form></section>`,
      )
      .join('');
    const planners = planned
      .planners()
      .map((p) => {
        const c = planned.contractAt(p.partyId);
        return `<tr data-planner="${esc(p.partyId)}"><td>${esc(p.displayName)}</td><td><code>${esc(p.partyId)}</code></td><td><a href="/planners/${esc(p.slug)}">/planners/${esc(p.slug)}</a></td><td>${c ? `v${c.version} from ${esc(c.effectiveFrom)}` : 'none'}</td><td>${esc(
          Array.isArray(p.carriedBy) ? p.carriedBy.join(', ') : p.carriedBy,
        )}</td><td class="num">${planned.pagesOf(p.partyId).length}</td></tr>`;
      })
      .join('');
    const orders = planned
      .orders()
      .slice(0, 100)
      .map(
        (o) =>
          `<tr data-order="${esc(o.id)}"><td><code>${esc(o.id)}</code></td><td>${esc(o.site)}</td><td><code>${esc(o.pageId)}</code> ${esc(o.itemKind === 'page' ? 'whole page' : (o.contributionId ?? ''))}</td><td class="num">${esc(formatMoney(o))}</td><td>${esc(o.state)}</td><td>${
            o.state === 'paid'
              ? `<form method="post" action="/admin/planned/orders/${esc(o.id)}/refund" class="inline">${csrf}<input name="reason" required placeholder="reason"> <button type="submit">Refund</button></form>`
              : esc(o.refundedAt ?? '')
          }</td></tr>`,
      )
      .join('');
    res.status(status).render('planned-console', {
      title: 'Planned pages',
      notice,
      error,
      body:
        `<section class="card"><h2>Applications waiting</h2>${apps || '<p>None.</p>'}</section>` +
        `<section class="card"><h2>Planners</h2>${planners ? `<table><thead><tr><th>Planner</th><th>Party</th><th>Home page</th><th>Contract</th><th>Carried by</th><th class="num">Pages</th></tr></thead><tbody>${planners}</tbody></table>` : '<p>None yet.</p>'}</section>` +
        `<section class="card"><h2>Orders</h2>${orders ? `<table><thead><tr><th>Order</th><th>Site</th><th>Item</th><th class="num">Amount</th><th>State</th><th></th></tr></thead><tbody>${orders}</tbody></table>` : '<p>None yet.</p>'}</section>`,
    });
  };
  const act = (fn: (req: Request) => string) => (req: Request, res: Response) => {
    try {
      show(req, res, fn(req), null);
    } catch (err) {
      const p = publicError(err);
      show(req, res, null, p.body.error.message, p.status);
    }
  };
  const f = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
  const fstr = (v: unknown): string => (typeof v === 'string' ? v : '');
  r.get('/planned', (req, res) => show(req, res, null, null));
  r.post(
    '/planned/applications/:id/approve',
    act((req) => {
      const out = planned.approve(String(req.params.id), { terms: termsFromForm(f(req)), carriedBy: PlannedService.carriedByFromText(fstr(f(req).carriedBy) || 'all') }, by(req));
      return `Approved: ${out.planner.displayName} is invited to the portal with contract version ${out.contract.version}.`;
    }),
  );
  r.post(
    '/planned/applications/:id/reject',
    act((req) => {
      planned.reject(String(req.params.id), fstr(f(req).reason), by(req));
      return 'Rejected; the applicant is told why.';
    }),
  );
  r.post(
    '/planned/orders/:id/refund',
    act((req) => {
      const o = planned.refund(String(req.params.id), { reason: fstr(f(req).reason) }, by(req));
      return `Order ${o.id} refunded; every party's part is reversed in this period's statements.`;
    }),
  );
  return r;
}
