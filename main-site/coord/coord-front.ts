import express from 'express';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  componentList,
  explainPlan,
  formatAmount,
  priorities as prioritiesSchema,
  PRIORITY_KINDS,
  scaleForServings,
  withParts,
  type ComponentList,
  type FulfilmentOption,
  type Plan,
  type Priorities,
  type PriorityKind,
} from '../../common/coord/index.js';
import { AppError } from '../../common/errors.js';
import { formBody } from '../../common/http/bodies.js';
import { formatMoney } from '../../common/money.js';
import type { ContentView } from '../../common/render/content-view.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import { formatMinutes } from '../../common/web/format.js';
import type { CoordPageLog } from '../../common/coord/net/index.js';
import type { ShopperSessions } from '../../common/users/index.js';
import { contactInput, type Coordinator, type GroupView, type OrderedPart, type QuoteRound } from './coordinator.js';
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
  if (!r.success) {
    if (components.length === 0) throw coordErrors.invalid_request('Tick at least one component.');
    // In the shopper's words, by component: never the schema's field paths.
    const named = (i: z.core.$ZodIssue) => {
      const at = typeof i.path[1] === 'number' ? (components[i.path[1]] as { name?: string } | undefined)?.name : undefined;
      const what = at ? `"${at}"` : 'a component';
      const field = i.path[2];
      if (field === 'quantity') return `The quantity of ${what} must be a number above 0.`;
      if (field === 'unit') return `Give a unit for ${what} (such as g, ml or each).`;
      if (field === 'name') return 'Every component needs a name.';
      return `${what[0]!.toUpperCase()}${what.slice(1)} cannot be read; reload the page and try again.`;
    };
    throw coordErrors.invalid_request(`Check the quantities. ${[...new Set(r.error.issues.map(named))].join(' ')}`);
  }
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
  /** The list is every provider's, reconciled (scaling keeps it so). */
  providersAll?: boolean;
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
<form method="get" action="/coord/start" class="servings"><input type="hidden" name="${o.source.startsWith('handoff:') ? 'handoff' : 'page'}" value="${esc(o.source.replace(/^(handoff|page):/, ''))}">${o.providersAll ? '<input type="hidden" name="providers" value="all">' : ''}
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

/** What the shopper entered on the plan page, kept when the page is shown again. */
interface ContactFields {
  name: string;
  address: string;
  phone: string;
}

interface PlanPage {
  round: QuoteRound;
  /** The plan as proposed for the priorities. */
  plan: Plan;
  /** Its parts with the hand-over and payment now chosen: what an order would carry, line for line. */
  parts: OrderedPart[];
  csrf: string;
  action: string;
  idempotencyKey: string;
  priorities: Priorities;
  contact: ContactFields;
  nameOf: (supplier: string) => string;
  notice?: string;
  error?: string;
  /** The re-plan of a group's missing part: only consent is asked (the contact is the group's). */
  confirmOnly?: boolean;
  /** Where "back" leads (the order group, for a re-plan). */
  back?: { href: string; label: string };
  /** Suppliers not asked again (they failed this group), by name. */
  notAsked?: string[];
}

const minutes = (m: number) => formatMinutes(m);

function handOverWords(f: FulfilmentOption): string {
  return f.method === 'delivery'
    ? `Delivery by the delivery service (${money(f.fee)}, at your door in ${minutes(f.readyInMinutes)})`
    : `Pickup at ${f.shop.name}${f.shop.address ? `, ${f.shop.address}` : ''} (${f.fee.amount > 0 ? money(f.fee) : 'no fee'}, ready in ${minutes(f.readyInMinutes)})`;
}

function feeLine(f: FulfilmentOption): string {
  return f.method === 'delivery' ? 'Delivery fee' : `Pickup at ${f.shop.name}${f.fee.amount > 0 ? ' (fee)' : ''}`;
}

function paidHow(p: OrderedPart): string {
  if (p.payment === 'electronic') return 'paid now through the settlement agent (taken when the supplier accepts)';
  return p.fulfilment.method === 'delivery' ? 'paid in cash to the courier at your door' : 'paid in cash at the shop';
}

/** The choices the page shows selected, as the form sends them back: to tell a changed selection from the one priced. */
const shownChoices = (parts: OrderedPart[]) => parts.map((p) => ({ supplier: p.supplier.id, fulfilment: p.fulfilment.id, payment: p.payment }));

/** Why a component is not covered, in words that fit where the page came from (all suppliers, those that answered, or the others). */
function uncoveredWords(u: Plan['uncovered'][number], o: { notAsked: number; late: number }): string {
  if (u.why !== 'not_offered') return u.reason;
  if (o.notAsked > 0) return 'no other supplier offers it';
  if (o.late > 0) return 'no supplier that answered offers it';
  return 'no supplier offers it';
}

function planHtml(o: PlanPage): string {
  const { round, plan, parts } = o;
  const shown = withParts(plan, parts);
  const cur = plan.currency;
  const partsHtml = parts
    .map((s) => {
      const q = round.quotes.find((x) => x.supplier.id === s.supplier.id)!;
      const fopts = q.fulfilment.map((f) => `<option value="${esc(f.id)}"${f.id === s.fulfilment.id ? ' selected' : ''}>${esc(handOverWords(f))}</option>`).join('');
      const popts = q.payments
        .map((p) => `<option value="${p}"${p === s.payment ? ' selected' : ''}>${p === 'electronic' ? 'Pay now (settlement agent)' : 'Pay on hand-over (cash)'}</option>`)
        .join('');
      return `<section class="card coord-part" data-supplier="${esc(s.supplier.id)}">
<h2>${esc(s.supplier.name)} <small class="part-total">${money(s.total)}</small></h2>
<p class="why">${esc(s.why)}</p>
<ul>${s.lines.map((l) => `<li class="line" data-component="${esc(l.component)}">${esc(l.display)} <span class="amount">${money(l.amount)}</span></li>`).join('')}
<li class="fee" data-fulfilment="${esc(s.fulfilment.id)}">${esc(feeLine(s.fulfilment))} <span class="amount">${money(s.fee)}</span></li></ul>
<p class="subtotal">${esc(s.supplier.name)}: <strong>${money(s.total)}</strong>, ${esc(paidHow(s))}.</p>
<label>Hand-over <select name="f_${esc(s.supplier.id)}">${fopts}</select></label>
<label>Payment <select name="p_${esc(s.supplier.id)}">${popts}</select></label>
</section>`;
    })
    .join('');
  const late = round.missing.length
    ? `<p class="notice">Not in this plan: ${round.missing.map((m) => `${esc(o.nameOf(m.supplier))} (${m.reason === 'late' ? 'did not answer in time' : 'could not be reached'})`).join(', ')}.</p>`
    : '';
  const notAsked = o.notAsked ?? [];
  const uncovered = plan.uncovered.length
    ? `<p class="warning">Not covered: ${plan.uncovered.map((u) => `${esc(formatAmount(u.missing))} ${esc(u.component)} (${esc(uncoveredWords(u, { notAsked: notAsked.length, late: round.missing.length }))})`).join('; ')}.${
        notAsked.length ? ` ${esc(listWords(notAsked))} could not fill ${notAsked.length === 1 ? 'its order and was' : 'their orders and were'} not asked again.` : ''
      }</p>`
    : '';
  const cash = parts.filter((p) => p.payment === 'cash_on_delivery').reduce((sum, p) => sum + p.total.amount, 0);
  const now = parts.filter((p) => p.payment === 'electronic').reduce((sum, p) => sum + p.total.amount, 0);
  const how = [now > 0 ? `${money({ amount: now, currency: cur })} now through the settlement agent` : '', cash > 0 ? `${money({ amount: cash, currency: cur })} in cash on hand-over` : '']
    .filter(Boolean)
    .join(', ');
  const summary = parts.length
    ? `<table class="coord-summary"><caption>What you pay</caption><thead><tr><th>Supplier</th><th class="num">Goods</th><th class="num">Delivery or pickup fee</th><th class="num">Amount</th></tr></thead>
<tbody>${parts.map((p) => `<tr data-supplier="${esc(p.supplier.id)}"><td>${esc(p.supplier.name)}</td><td class="num">${money(p.goods)}</td><td class="num">${money(p.fee)}</td><td class="num">${money(p.total)}</td></tr>`).join('')}</tbody>
<tfoot><tr><th>Total</th><td class="num">${money(shown.totals.goods)}</td><td class="num">${money(shown.totals.fees)}</td><td class="num"><strong>${money(shown.totals.total)}</strong></td></tr></tfoot></table>
<p class="total">Total to pay <strong>${money(shown.totals.total)}</strong> (goods ${money(shown.totals.goods)}, delivery and pickup fees ${money(shown.totals.fees)}) from ${shown.totals.suppliers === 1 ? '1 supplier' : `${shown.totals.suppliers} suppliers`}: ${esc(how)}. This is what the orders charge.</p>
<p class="hint">Changed a hand-over or payment? <button type="submit" name="update" value="1" formnovalidate>Update the total</button> The orders are placed only at a total shown here.</p>`
    : '';
  const lines = parts.length ? explainPlan(shown) : [];
  if (parts.length && shown.totals.total.amount !== plan.totals.total.amount)
    lines.splice(1, 0, `The plan as proposed comes to ${money(plan.totals.total)}; the hand-over you chose makes it ${money(shown.totals.total)}.`);
  const explanation = lines.length ? `<details class="why-plan"><summary>Why this plan</summary><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></details>` : '';
  const contact =
    o.confirmOnly || !parts.length
      ? ''
      : `<fieldset><legend>Your details</legend>
<p class="hint">Each supplier is told only the items; for pickup, the name to hand them to. The delivery service gets the addresses and phone number (and, for cash on delivery, the sum to collect); the settlement agent only amounts.</p>
<label>Name <input name="name" value="${esc(o.contact.name)}" required maxlength="100" autocomplete="name"></label>
<label>Delivery address <input name="address" value="${esc(o.contact.address)}" maxlength="200" autocomplete="street-address"></label>
<label>Phone <input name="phone" value="${esc(o.contact.phone)}" maxlength="24" autocomplete="tel"></label></fieldset>`;
  const nothing = o.confirmOnly ? 'No other supplier can supply what is missing now.' : 'No supplier can supply any of these components now.';
  const back = o.back ? `<p class="back"><a href="${esc(o.back.href)}">${esc(o.back.label)}</a></p>` : '<p class="back"><a href="/coord/orders">Your component orders</a></p>';
  return `<section class="coord-plan">
<h1>${o.confirmOnly ? 'The missing part' : 'Your plan'}</h1>${o.notice ? `<p class="notice" role="status">${esc(o.notice)}</p>` : ''}${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}${late}
${parts.length ? '' : `<p>${nothing}</p>`}
<form method="post" action="${esc(o.action)}">
<input type="hidden" name="_csrf" value="${esc(o.csrf)}"><input type="hidden" name="quoteSetId" value="${esc(round.id)}">
<input type="hidden" name="idempotencyKey" value="${esc(o.idempotencyKey)}"><input type="hidden" name="priorities" value="${esc(JSON.stringify(o.priorities))}">
<input type="hidden" name="shown" value="${esc(JSON.stringify(shownChoices(parts)))}"><input type="hidden" name="shownTotal" value="${shown.totals.total.amount}"><input type="hidden" name="shownCurrency" value="${esc(cur)}">
${partsHtml}
${summary}
${uncovered}${explanation}${contact}
${parts.length ? `<p><button type="submit">${o.confirmOnly ? `Order the missing part for ${money(shown.totals.total)}` : `Place the orders for ${money(shown.totals.total)}`}</button></p>` : ''}
</form>${back}</section>`;
}

/** "A", "A and B", "A, B and C". */
function listWords(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function groupHtml(g: GroupView, csrf: string): string {
  const rows = g.orders
    .map(
      (o) => `<tr data-order="${esc(o.id)}" data-supplier="${esc(o.supplier)}"><td>${esc(o.supplierName)}${o.round > 1 ? ` <small>(re-plan ${o.round - 1})</small>` : ''}</td>
<td><ul>${o.part.lines.map((l) => `<li>${esc(l.display)}</li>`).join('')}${o.part.fee.amount > 0 ? `<li class="fee">${esc(feeLine(o.part.fulfilment))} ${money(o.part.fee)}</li>` : ''}</ul></td>
<td>${o.part.fulfilment.method === 'delivery' ? 'Delivery' : `Pickup at ${esc(o.part.fulfilment.shop.name)}`}; ${o.payment === 'electronic' ? 'paid electronically' : 'cash on hand-over'}</td>
<td class="num">${money(o.part.total)}</td><td class="state">${esc(STATE_WORDS[o.state] ?? o.state)}${o.state === 'refused' && o.reason ? ` (${esc(o.reason)})` : ''}${o.replacedIn ? ' - re-planned' : ''}</td></tr>`,
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
          providersAll: typeof q.handoff !== 'string' && q.providers === 'all',
        }),
      );
    } catch (err) {
      const renew = err instanceof AppError && err.code === 'handoff_expired' ? err.details?.renew : undefined;
      // An authentic hand-over past its lifetime goes back to its partner to be signed afresh (what clicking the link
      // again does), once: one that comes back expired at once means the two clocks disagree, and is refused.
      if (typeof renew === 'string' && req.query.again !== '1') {
        const servings = typeof req.query.servings === 'string' && /^[0-9]{1,4}$/.test(req.query.servings) ? `&servings=${req.query.servings}` : '';
        return redirect(req, res, `${renew}${servings}&again=1`);
      }
      try {
        fail(req, res, err);
      } catch (e) {
        next(e);
      }
    }
  });

  const nameOf = (id: string) => coord.suppliers().find((s) => s.id === id)?.name ?? 'a supplier';
  const contactOf = (b: Record<string, unknown>, fallbackName: string): ContactFields => ({
    name: b.name === undefined ? fallbackName : str(b, 'name', 100),
    address: str(b, 'address', 200),
    phone: str(b, 'phone', 24),
  });
  const newKey = () => randomBytes(18).toString('base64url');

  r.post('/coord/quote', form, async (req, res, next) => {
    const me = shopper(req, res, '/coord/orders');
    if (!me) return;
    try {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const list = pickedFrom(b);
      const priorities = prioritiesFrom(b);
      const round = await coord.quote({ currency: 'EUR', components: list.components });
      const plan = coord.plan(round, priorities);
      const parts = coord.priced(round, plan, []);
      send(req, res, 200, 'Your plan', planHtml({ round, plan, parts, csrf: me.csrfToken, action: '/coord/order', contact: contactOf({}, me.name), nameOf, idempotencyKey: newKey(), priorities }));
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

  /**
   * The parts as the form now selects them, for showing: a selection the plan
   * cannot take (a supplier no longer in it, a hand-over it does not offer)
   * falls back to the plan's own choice for that supplier.
   */
  const partsFor = (round: QuoteRound, plan: Plan, choices: ReturnType<typeof choicesFrom>): OrderedPart[] => {
    const usable = choices.filter((c) => {
      const q = round.quotes.find((x) => x.supplier.id === c.supplier);
      return (
        plan.suppliers.some((s) => s.supplier.id === c.supplier) &&
        q !== undefined &&
        (c.fulfilment === '' || q.fulfilment.some((f) => f.id === c.fulfilment)) &&
        (c.payment === undefined || (q.payments as string[]).includes(c.payment))
      );
    });
    return coord.priced(
      round,
      plan,
      usable.map((c) => ({ supplier: c.supplier, ...(c.fulfilment ? { fulfilment: c.fulfilment } : {}), ...(c.payment ? { payment: c.payment } : {}) })),
    );
  };

  /** Whether the form's selections are the ones the page priced (and so the total it showed is theirs). */
  const asShown = (b: Record<string, unknown>, parts: OrderedPart[]): boolean => {
    let shown: unknown;
    try {
      shown = JSON.parse(str(b, 'shown', 8000) || 'null');
    } catch {
      return false;
    }
    return JSON.stringify(shown) === JSON.stringify(shownChoices(parts));
  };

  const shownTotalOf = (b: Record<string, unknown>) => {
    const amount = Number(str(b, 'shownTotal', 20));
    const currency = str(b, 'shownCurrency', 3);
    return Number.isSafeInteger(amount) && amount >= 0 && currency ? { amount, currency } : null;
  };

  /** The shopper's details in words (the order's schema checks them again; its messages name fields, not people). */
  const contactProblem = (c: ContactFields, parts: OrderedPart[]): string | null => {
    if (!c.name) return 'Enter your name: a supplier hands a pickup to it.';
    if (parts.some((p) => p.fulfilment.method === 'delivery')) {
      if (!c.address) return 'Enter the delivery address: the delivery service brings the goods there.';
      if (!c.phone) return 'Enter a phone number: the delivery service calls it at the door.';
    }
    if (c.phone && !contactInput.shape.phone.safeParse(c.phone).success) return 'The phone number may have 5 to 24 digits, spaces, "+", "(", ")" or "-".';
    return null;
  };

  /**
   * The plan page again, priced for the hand-over and payment now selected,
   * when the shopper asked to update the total or the selection is not the
   * one whose total was shown: nothing is ordered at a total not shown.
   */
  const reprice = (
    req: express.Request,
    res: express.Response,
    o: Omit<PlanPage, 'parts' | 'nameOf' | 'idempotencyKey'> & {
      choices: ReturnType<typeof choicesFrom>;
      status: number;
      idempotencyKey?: string;
      /** The total the page had shown; without a notice, the page says how the selection changed it. */
      before?: { amount: number; currency: string } | null;
    },
  ) => {
    const parts = partsFor(o.round, o.plan, o.choices);
    const notice = o.notice ?? (o.error ? undefined : priceChangeNotice(o.before ?? null, parts));
    send(
      req,
      res,
      o.status,
      o.confirmOnly ? 'The missing part' : 'Your plan',
      planHtml({ ...o, parts, nameOf, idempotencyKey: o.idempotencyKey ?? newKey(), ...(notice !== undefined ? { notice } : {}) }),
    );
    return parts;
  };

  const priceChangeNotice = (before: { amount: number; currency: string } | null, parts: OrderedPart[]) => {
    const total = { amount: parts.reduce((sum, p) => sum + p.total.amount, 0), currency: parts[0]?.total.currency ?? before?.currency ?? 'EUR' };
    return before && before.amount !== total.amount
      ? `With the hand-over you chose, the total is ${money(total)}, not the ${money(before)} shown before. Nothing was ordered: check the plan, then place the orders.`
      : 'The total below is for the hand-over and payment you chose. Nothing is ordered until you place the orders.';
  };

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
    const page = { csrf: me.csrfToken, action: '/coord/order', contact: contactOf(b, me.name), priorities: priorities as Priorities };
    try {
      const choices = choicesFrom(b);
      const round = coord.round(str(b, 'quoteSetId', 80));
      const parsed = prioritiesSchema.safeParse(priorities);
      if (!parsed.success) throw coordErrors.invalid_request('This plan can no longer be read: ask the suppliers again.');
      const plan = coord.plan(round, parsed.data);
      const selected = partsFor(round, plan, choices);
      const before = shownTotalOf(b);
      if (b.update !== undefined || !asShown(b, selected) || before === null) {
        reprice(req, res, { ...page, round, plan, choices, status: b.update !== undefined ? 200 : 409, before });
        return;
      }
      const problem = contactProblem(page.contact, selected);
      if (problem) {
        reprice(req, res, { ...page, round, plan, choices, status: 400, error: problem, idempotencyKey: str(b, 'idempotencyKey', 120) });
        return;
      }
      const contact = { name: page.contact.name, ...(page.contact.address ? { address: page.contact.address } : {}), ...(page.contact.phone ? { phone: page.contact.phone } : {}) };
      const g = await coord.order(me.userId, { idempotencyKey: str(b, 'idempotencyKey', 120), quoteSetId: round.id, priorities, choices: shownChoices(selected), contact, expectedTotal: before });
      redirect(req, res, `/coord/groups/${encodeURIComponent(g.id)}`);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'quote_changed' || err.code === 'total_changed')) {
        // The offers (or the total) moved since the plan was shown: show the plan as it is now, to order again knowingly.
        const round = coord.round(str(b, 'quoteSetId', 80));
        const plan = err.code === 'quote_changed' ? coord.plan(round, page.priorities, new Date()) : coord.plan(round, page.priorities);
        reprice(req, res, {
          ...page,
          round,
          plan,
          choices: choicesFrom(b),
          status: 409,
          ...(err.code === 'quote_changed' ? { notice: 'A supplier changed its offer since the plan was shown. Nothing was ordered: this is the plan now.' } : { before: shownTotalOf(b) }),
        });
        return;
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

  /** The suppliers that failed a group (they are not asked again when it is re-planned), by name. */
  const failedNames = (userId: string, id: string) => [
    ...new Set(
      coord
        .view(coord.ownGroup(userId, id))
        .orders.filter((o) => (o.state === 'refused' || o.state === 'timed_out' || o.state === 'failed') && o.replacedIn === null)
        .map((o) => o.supplierName),
    ),
  ];

  r.post('/coord/groups/:id/replan', form, async (req, res, next) => {
    const id = String(req.params.id);
    const me = shopper(req, res, `/coord/groups/${id}`);
    if (!me) return;
    try {
      const notAsked = failedNames(me.userId, id);
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
          parts: coord.priced(round, plan, []),
          csrf: me.csrfToken,
          action: `/coord/groups/${id}/replan/confirm`,
          contact: contactOf({}, me.name),
          nameOf,
          idempotencyKey: round.id,
          priorities,
          confirmOnly: true,
          notAsked,
          back: { href: `/coord/groups/${id}`, label: 'Back to your order (nothing more is ordered)' },
          notice: plan.suppliers.length ? 'Only what is missing was asked for again; nothing is ordered until you confirm.' : 'Only what is missing was asked for again.',
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
    const b = (req.body ?? {}) as Record<string, unknown>;
    try {
      const group = coord.ownGroup(me.userId, id);
      const priorities = JSON.parse(group.priorities) as Priorities;
      const round = coord.round(str(b, 'quoteSetId', 80));
      const plan = coord.plan(round, priorities);
      const choices = choicesFrom(b);
      const selected = partsFor(round, plan, choices);
      const before = shownTotalOf(b);
      const page = {
        csrf: me.csrfToken,
        action: `/coord/groups/${id}/replan/confirm`,
        contact: contactOf({}, me.name),
        priorities,
        round,
        plan,
        choices,
        confirmOnly: true,
        notAsked: failedNames(me.userId, id),
        back: { href: `/coord/groups/${id}`, label: 'Back to your order (nothing more is ordered)' },
        idempotencyKey: round.id,
      };
      if (b.update !== undefined || !asShown(b, selected) || before === null) {
        reprice(req, res, { ...page, status: b.update !== undefined ? 200 : 409, before });
        return;
      }
      const contact = JSON.parse(group.contact) as { address?: string; phone?: string };
      if (selected.some((p) => p.fulfilment.method === 'delivery') && (!contact.address || !contact.phone)) {
        reprice(req, res, { ...page, status: 400, error: 'Your order has no delivery address or phone number: choose pickup for this part.' });
        return;
      }
      try {
        await coord.confirmReplan(me.userId, id, { quoteSetId: round.id, choices: shownChoices(selected), expectedTotal: before });
      } catch (err) {
        if (err instanceof AppError && (err.code === 'quote_changed' || err.code === 'total_changed')) {
          reprice(req, res, {
            ...page,
            plan: err.code === 'quote_changed' ? coord.plan(coord.round(round.id), priorities, new Date()) : plan,
            round: coord.round(round.id),
            status: 409,
            ...(err.code === 'quote_changed' ? { notice: 'A supplier changed its offer since the plan was shown. Nothing was ordered: this is the plan now.' } : { before }),
          });
          return;
        }
        throw err;
      }
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
