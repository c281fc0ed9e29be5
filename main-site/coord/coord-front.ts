import express from 'express';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { componentList, explainPlan, formatAmount, PRIORITY_KINDS, scaleForServings, type ComponentList, type Plan, type Priorities, type PriorityKind } from '../../common/coord/index.js';
import { AppError } from '../../common/errors.js';
import { formBody } from '../../common/http/bodies.js';
import { formatMoney } from '../../common/money.js';
import type { ContentView } from '../../common/render/content-view.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import type { CoordPageLog } from '../../common/coord/net/index.js';
import type { ShopperSessions } from '../../common/users/index.js';
import type { Coordinator, GroupView, QuoteRound } from './coordinator.js';
import type { JobSource } from './job-source.js';
import { coordErrors } from './errors.js';

const PRIORITY_WORDS: Record<PriorityKind, string> = {
  cheapest: 'Cheapest total',
  fewest_suppliers: 'Fewest suppliers',
  fastest: 'Fastest complete delivery',
  pickup_at_shop: 'Pickup at a chosen shop',
  preferred_supplier: 'A preferred supplier',
};
const STATE_WORDS: Record<string, string> = {
  pending: 'waiting for the supplier',
  accepted: 'accepted',
  refused: 'refused',
  timed_out: 'no answer in time',
  failed: 'could not be placed',
  cancelled: 'cancelled',
  waiting: 'waiting for suppliers',
  needs_replan: 'some components are missing',
  payment_declined: 'payment declined',
};

const money = (m: { amount: number; currency: string }) => formatMoney(m);
const str = (b: Record<string, unknown>, k: string, max = 300) => (typeof b[k] === 'string' ? b[k].trim().slice(0, max) : '');

/** The picked rows as the form posts them: c<i>_name, c<i>_qty, c<i>_unit, c<i>_alt, c<i>_density, c<i>_pick. */
function pickedFrom(b: Record<string, unknown>): ComponentList {
  const components: unknown[] = [];
  for (let i = 0; i < 200; i++) {
    if (b[`c${i}_name`] === undefined) break;
    if (b[`c${i}_pick`] !== 'on') continue;
    const alt = str(b, `c${i}_alt`, 2000);
    const density = str(b, `c${i}_density`, 32);
    components.push({
      name: str(b, `c${i}_name`, 120),
      quantity: Number(str(b, `c${i}_qty`, 20)),
      unit: str(b, `c${i}_unit`, 32),
      alternatives: alt ? alt.split('|').filter(Boolean) : [],
      ...(density ? { density } : {}),
    });
  }
  const r = componentList.safeParse({ servings: 1, components });
  if (!r.success)
    throw coordErrors.invalid_request(components.length === 0 ? 'Tick at least one component.' : `Check the quantities: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

function prioritiesFrom(b: Record<string, unknown>): Priorities {
  const order = [str(b, 'priority1', 40), str(b, 'priority2', 40)].filter((p, i, a) => p && a.indexOf(p) === i);
  const methods = str(b, 'methods', 20);
  const raw = {
    order,
    ...(str(b, 'preferredSupplier', 64) ? { preferredSupplier: str(b, 'preferredSupplier', 64) } : {}),
    ...(methods === 'delivery' || methods === 'pickup' ? { methods: [methods] } : {}),
  };
  const r = z.strictObject({ order: z.array(z.enum(PRIORITY_KINDS)).min(1), preferredSupplier: z.string().optional(), methods: z.array(z.enum(['delivery', 'pickup'])).optional() }).safeParse(raw);
  if (!r.success || (r.data.order.includes('preferred_supplier') && !r.data.preferredSupplier) || r.data.order.includes('pickup_at_shop'))
    throw coordErrors.invalid_request('Choose what matters most (and a preferred supplier when that is your choice).');
  return r.data;
}

function pickingHtml(o: {
  title: string;
  source: string;
  servings: number;
  baseServings: number;
  list: ComponentList;
  csrf: string;
  suppliers: { id: string; name: string | null }[];
  error?: string;
}): string {
  const rows = o.list.components
    .map(
      (c, i) => `<tr data-component="${esc(c.name)}">
  <td><input type="checkbox" name="c${i}_pick" id="c${i}_pick" ${c.optional ? '' : 'checked'} aria-label="Get ${esc(c.name)}"></td>
  <td><label for="c${i}_pick">${esc(c.name)}</label>${c.optional ? ' <small>(optional)</small>' : ''}${c.alternatives.length ? ` <small>or ${esc(c.alternatives.join(', '))}</small>` : ''}${c.note ? ` <small>${esc(c.note)}</small>` : ''}
    <input type="hidden" name="c${i}_name" value="${esc(c.name)}"><input type="hidden" name="c${i}_alt" value="${esc(c.alternatives.join('|'))}">${c.density ? `<input type="hidden" name="c${i}_density" value="${esc(c.density)}">` : ''}</td>
  <td><input name="c${i}_qty" value="${esc(String(Math.round(c.quantity * 1000) / 1000))}" inputmode="decimal" size="6" aria-label="Quantity of ${esc(c.name)}"> <input name="c${i}_unit" value="${esc(c.unit)}" size="6" aria-label="Unit of ${esc(c.name)}"></td>
</tr>`,
    )
    .join('');
  const opts = (sel: string, blank: boolean) =>
    (blank ? '<option value="">(nothing else)</option>' : '') +
    PRIORITY_KINDS.filter((k) => k !== 'pickup_at_shop')
      .map((k) => `<option value="${k}"${k === sel ? ' selected' : ''}>${PRIORITY_WORDS[k]}</option>`)
      .join('');
  return `<section class="coord-picking">
<h1>Get the components: ${esc(o.title)}</h1>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<form method="get" action="/coord/start" class="servings"><input type="hidden" name="${o.source.startsWith('handoff:') ? 'handoff' : 'page'}" value="${esc(o.source.replace(/^(handoff|page):/, ''))}">
<label>Servings <input name="servings" type="number" min="1" max="1000" value="${o.servings}"></label> <button>Scale</button> <small>(written for ${o.baseServings})</small></form>
${o.source.startsWith('page:') ? `<p><a href="/coord/start?page=${esc(encodeURIComponent(o.source.slice(5)))}&amp;providers=all">Compare with every provider's list for this job</a></p>` : ''}
<form method="post" action="/coord/quote">
<input type="hidden" name="_csrf" value="${esc(o.csrf)}"><input type="hidden" name="title" value="${esc(o.title)}">
<table><thead><tr><th>Get</th><th>Component</th><th>Quantity</th></tr></thead><tbody>${rows}</tbody></table>
<p>Untick what you already have; change any quantity.</p>
<fieldset><legend>What matters most</legend>
<label>First <select name="priority1">${opts('cheapest', false)}</select></label>
<label>Then <select name="priority2">${opts('', true)}</select></label>
<label>Preferred supplier <select name="preferredSupplier"><option value="">(none)</option>${o.suppliers.map((s) => `<option value="${esc(s.id)}">${esc(s.name ?? s.id)}</option>`).join('')}</select></label>
<label>Hand-over <select name="methods"><option value="">delivery or pickup</option><option value="delivery">delivery only</option><option value="pickup">pickup only</option></select></label>
</fieldset>
<p><button type="submit">Ask the suppliers</button></p>
</form></section>`;
}

function planHtml(o: { round: QuoteRound; plan: Plan; csrf: string; action: string; name: string; idempotencyKey: string; priorities: Priorities; notice?: string; confirmOnly?: boolean }): string {
  const { round, plan } = o;
  const parts = plan.suppliers
    .map((s) => {
      const q = round.quotes.find((x) => x.supplier.id === s.supplier.id)!;
      const fopts = q.fulfilment
        .map(
          (f) =>
            `<option value="${esc(f.id)}"${f.id === s.fulfilment.id ? ' selected' : ''}>${f.method === 'delivery' ? `Delivery by the delivery service (${money(f.fee)}, ${f.readyInMinutes} min)` : `Pickup at ${esc(f.shop.name)}${f.shop.address ? `, ${esc(f.shop.address)}` : ''} (${money(f.fee)}, ready in ${f.readyInMinutes} min)`}</option>`,
        )
        .join('');
      const popts = q.payments.map((p) => `<option value="${p}">${p === 'electronic' ? 'Pay now (settlement agent)' : 'Pay on hand-over (cash)'}</option>`).join('');
      return `<section class="card coord-part" data-supplier="${esc(s.supplier.id)}">
<h2>${esc(s.supplier.name)} <small>${money(s.total)}</small></h2>
<p class="why">${esc(s.why)}</p>
<ul>${s.lines.map((l) => `<li class="line" data-component="${esc(l.component)}">${esc(l.display)} <span class="amount">${money(l.amount)}</span></li>`).join('')}</ul>
<label>Hand-over <select name="f_${esc(s.supplier.id)}">${fopts}</select></label>
<label>Payment <select name="p_${esc(s.supplier.id)}">${popts}</select></label>
</section>`;
    })
    .join('');
  const missing = round.missing.length
    ? `<p class="notice">Not in this plan: ${round.missing.map((m) => `${esc(m.supplier)} (${m.reason === 'late' ? 'did not answer in time' : 'could not be reached'})`).join(', ')}.</p>`
    : '';
  const uncovered = plan.uncovered.length
    ? `<p class="warning">Not covered: ${plan.uncovered.map((u) => `${esc(formatAmount(u.missing))} ${esc(u.component)} (${esc(u.reason)})`).join('; ')}.</p>`
    : '';
  const explanation = `<details><summary>Why this plan</summary><ul>${explainPlan(plan)
    .map((l) => `<li>${esc(l)}</li>`)
    .join('')}</ul></details>`;
  const contact = o.confirmOnly
    ? ''
    : `<fieldset><legend>Your details</legend>
<p class="hint">Each supplier is told only the items; for pickup, the name to hand them to. The delivery service gets the addresses and phone number; the settlement agent only amounts.</p>
<label>Name <input name="name" value="${esc(o.name)}" required maxlength="100" autocomplete="name"></label>
<label>Delivery address <input name="address" maxlength="200" autocomplete="street-address"></label>
<label>Phone <input name="phone" maxlength="24" autocomplete="tel"></label></fieldset>`;
  return `<section class="coord-plan">
<h1>Your plan</h1>${o.notice ? `<p class="notice" role="status">${esc(o.notice)}</p>` : ''}${missing}
${plan.suppliers.length ? '' : '<p>No supplier can supply any of these components now.</p>'}
<form method="post" action="${esc(o.action)}">
<input type="hidden" name="_csrf" value="${esc(o.csrf)}"><input type="hidden" name="quoteSetId" value="${esc(round.id)}">
<input type="hidden" name="idempotencyKey" value="${esc(o.idempotencyKey)}"><input type="hidden" name="priorities" value="${esc(JSON.stringify(o.priorities))}">
${parts}
<p class="total">Total <strong>${money(plan.totals.total)}</strong> (goods ${money(plan.totals.goods)}, fees ${money(plan.totals.fees)}) from ${plan.totals.suppliers} supplier(s).</p>
${uncovered}${explanation}${contact}
${plan.suppliers.length ? `<p><button type="submit">${o.confirmOnly ? 'Order the missing part' : 'Place the orders'}</button></p>` : ''}
</form></section>`;
}

function groupHtml(g: GroupView, csrf: string): string {
  const rows = g.orders
    .map(
      (o) => `<tr data-order="${esc(o.id)}" data-supplier="${esc(o.supplier)}"><td>${esc(o.supplierName)}${o.round > 1 ? ` <small>(re-plan ${o.round - 1})</small>` : ''}</td>
<td><ul>${o.part.lines.map((l) => `<li>${esc(l.display)}</li>`).join('')}</ul></td>
<td>${o.part.fulfilment.method === 'delivery' ? 'Delivery' : `Pickup at ${esc(o.part.fulfilment.shop.name)}`}; ${o.payment === 'electronic' ? 'paid electronically' : 'cash on hand-over'}</td>
<td class="num">${money(o.part.total)}</td><td class="state">${esc(STATE_WORDS[o.state] ?? o.state)}${o.reason ? ` (${esc(o.reason)})` : ''}${o.replacedIn ? ' - re-planned' : ''}</td></tr>`,
    )
    .join('');
  const replan =
    g.state === 'needs_replan'
      ? `<form method="post" action="/coord/groups/${esc(g.id)}/replan"><input type="hidden" name="_csrf" value="${esc(csrf)}"><p>A supplier could not fill its part. <button type="submit">Find the missing components elsewhere</button></p></form>`
      : '';
  return `<section class="coord-group" data-group="${esc(g.id)}" data-state="${g.state}"><h1>Your component order</h1>
<p>Order group <code>${esc(g.id)}</code>: <strong class="group-state">${esc(STATE_WORDS[g.state] ?? g.state)}</strong>. Total ${money(g.total)}.</p>
<table><thead><tr><th>Supplier</th><th>Items</th><th>Hand-over</th><th class="num">Amount</th><th>State</th></tr></thead><tbody>${rows}</tbody></table>${replan}
<p><a href="/coord/orders">All your component orders</a></p></section>`;
}

/**
 * The coordination pages for shoppers at the main site (their central account).
 * Every answer (page, refusal or redirect) is logged through `logged`, once sent.
 */
export function coordFront(coord: Coordinator, o: { view: () => ContentView; sessions: ShopperSessions; jobs: JobSource; logged: CoordPageLog }): express.Router {
  const r = express.Router();
  const form = formBody({ limit: '64kb', parameterLimit: 2000 });
  const send = (req: express.Request, res: express.Response, status: number, title: string, html: string) => {
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(o.view().wrap(title, html, { path: '/coord', kind: 'original' }));
    o.logged(req, res);
  };
  const redirect = (req: express.Request, res: express.Response, to: string) => {
    res.redirect(303, to);
    o.logged(req, res);
  };
  const fail = (req: express.Request, res: express.Response, err: unknown) => {
    const e = err instanceof AppError && err.expose ? err : null;
    if (!e) throw err;
    send(req, res, e.status, 'Cannot do that', `<h1>Cannot do that</h1><p class="error" role="alert">${esc(e.message)}</p><p><a href="javascript:history.back()">Back</a></p>`);
  };
  /** The signed-in shopper and the form's CSRF check; sends the login redirect or a refusal and answers null otherwise. */
  const shopper = (req: express.Request, res: express.Response, next: string) => {
    const s = o.sessions.current(req);
    if (!s) {
      redirect(req, res, `/account/login?next=${encodeURIComponent(next)}`);
      return null;
    }
    if (req.method === 'POST' && (req.body as Record<string, unknown> | undefined)?._csrf !== s.session.csrfToken) {
      send(req, res, 403, 'Form expired', '<h1>Form expired</h1><p class="error" role="alert">This form has expired; go back, reload the page and try again.</p>');
      return null;
    }
    return s.session;
  };

  r.get('/coord/start', async (req, res, next) => {
    const me = shopper(req, res, req.originalUrl.slice(0, 1500));
    if (!me) return;
    try {
      const q = req.query;
      const job =
        typeof q.handoff === 'string'
          ? await o.jobs.fromHandoff(q.handoff)
          : typeof q.page === 'string'
            ? q.providers === 'all'
              ? await o.jobs.fromProviders(q.page)
              : o.jobs.fromMain(q.page)
            : null;
      if (!job) throw coordErrors.invalid_request('Open this page from a how-to page ("Get the components").');
      const servings = Number(q.servings ?? job.list.servings);
      const list = Number.isInteger(servings) && servings >= 1 && servings <= 1000 ? scaleForServings(job.list, servings) : job.list;
      send(
        req,
        res,
        200,
        `Get the components: ${job.title}`,
        pickingHtml({
          title: job.title,
          source: typeof q.handoff === 'string' ? `handoff:${q.handoff}` : `page:${typeof q.page === 'string' ? q.page : ''}`,
          servings: list.servings,
          baseServings: job.list.servings,
          list,
          csrf: me.csrfToken,
          suppliers: coord.suppliers(),
        }),
      );
    } catch (err) {
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  r.post('/coord/quote', form, async (req, res, next) => {
    const me = shopper(req, res, '/coord/orders');
    if (!me) return;
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const list = pickedFrom(b);
      const priorities = prioritiesFrom(b);
      const round = await coord.quote({ currency: 'EUR', components: list.components });
      const plan = coord.plan(round, priorities);
      send(req, res, 200, 'Your plan', planHtml({ round, plan, csrf: me.csrfToken, action: '/coord/order', name: me.name, idempotencyKey: randomBytes(18).toString('base64url'), priorities }));
    } catch (err) {
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  const choicesFrom = (b: Record<string, unknown>) =>
    Object.keys(b)
      .filter((k) => k.startsWith('f_'))
      .map((k) => {
        const supplier = k.slice(2);
        const payment = str(b, `p_${supplier}`, 40);
        return { supplier, fulfilment: str(b, k, 64), ...(payment ? { payment } : {}) };
      });

  r.post('/coord/order', form, async (req, res, next) => {
    const me = shopper(req, res, '/coord/orders');
    if (!me) return;
    const b = (req.body ?? {}) as Record<string, unknown>;
    let priorities: unknown;
    try {
      priorities = JSON.parse(str(b, 'priorities', 2000) || 'null');
    } catch {
      priorities = null;
    }
    try {
      const contact = { name: str(b, 'name', 100), ...(str(b, 'address', 200) ? { address: str(b, 'address', 200) } : {}), ...(str(b, 'phone', 24) ? { phone: str(b, 'phone', 24) } : {}) };
      const g = await coord.order(me.userId, { idempotencyKey: str(b, 'idempotencyKey', 120), quoteSetId: str(b, 'quoteSetId', 80), priorities, choices: choicesFrom(b), contact });
      redirect(req, res, `/coord/groups/${encodeURIComponent(g.id)}`);
    } catch (err) {
      if (err instanceof AppError && err.code === 'quote_changed') {
        // The offers moved since the plan was shown: show the plan as it is now, to order again knowingly.
        const round = coord.round(str(b, 'quoteSetId', 80));
        const p = priorities as Priorities;
        const plan = coord.plan(round, p, new Date());
        return send(
          req,
          res,
          409,
          'Your plan changed',
          planHtml({ round, plan, csrf: me.csrfToken, action: '/coord/order', name: me.name, idempotencyKey: randomBytes(18).toString('base64url'), priorities: p, notice: err.message }),
        );
      }
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  r.get('/coord/orders', (req, res) => {
    const me = shopper(req, res, '/coord/orders');
    if (!me) return;
    const groups = coord.groupsOf(me.userId);
    send(
      req,
      res,
      200,
      'Your component orders',
      `<h1>Your component orders</h1>${groups.length ? `<ul>${groups.map((g) => `<li><a href="/coord/groups/${esc(g.id)}">${esc(g.createdAt.slice(0, 16).replace('T', ' '))} UTC</a>: ${g.orders.length} order(s), ${esc(STATE_WORDS[g.state] ?? g.state)}, ${money(g.total)}</li>`).join('')}</ul>` : '<p>None yet.</p>'}`,
    );
  });

  r.get('/coord/groups/:id', (req, res, next) => {
    const me = shopper(req, res, req.originalUrl.slice(0, 300));
    if (!me) return;
    try {
      const g = coord.view(coord.ownGroup(me.userId, String(req.params.id)));
      send(req, res, 200, 'Your component order', groupHtml(g, me.csrfToken));
    } catch (err) {
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  r.post('/coord/groups/:id/replan', form, async (req, res, next) => {
    const id = String(req.params.id);
    const me = shopper(req, res, `/coord/groups/${id}`);
    if (!me) return;
    try {
      const { round, plan } = await coord.replan(me.userId, id);
      const priorities = JSON.parse(coord.ownGroup(me.userId, id).priorities) as Priorities;
      send(
        req,
        res,
        200,
        'The missing part',
        planHtml({
          round,
          plan,
          csrf: me.csrfToken,
          action: `/coord/groups/${id}/replan/confirm`,
          name: me.name,
          idempotencyKey: round.id,
          priorities,
          confirmOnly: true,
          notice: 'Only what is missing was asked for again; nothing is ordered until you confirm.',
        }),
      );
    } catch (err) {
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  r.post('/coord/groups/:id/replan/confirm', form, async (req, res, next) => {
    const id = String(req.params.id);
    const me = shopper(req, res, `/coord/groups/${id}`);
    if (!me) return;
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      await coord.confirmReplan(me.userId, id, { quoteSetId: str(b, 'quoteSetId', 80), choices: choicesFrom(b) });
      redirect(req, res, `/coord/groups/${encodeURIComponent(id)}`);
    } catch (err) {
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });
  return r;
}

/** The shopper's component orders on the account page. */
export function coordAccountSection(groups: GroupView[]): string {
  if (!groups.length) return '';
  return `<section class="coord-orders"><h2>Component orders</h2><ul>${groups
    .slice(0, 10)
    .map((g) => `<li><a href="/coord/groups/${esc(g.id)}">${esc(g.createdAt.slice(0, 16).replace('T', ' '))} UTC</a>: ${esc(STATE_WORDS[g.state] ?? g.state)}, ${money(g.total)}</li>`)
    .join('')}</ul></section>`;
}
