import express, { type Request, type Response } from 'express';
import { publicError } from '../../common/errors.js';
import { formatMoney } from '../../common/money.js';
import { defineBanners } from '../../common/web/banners.js';
import { RULE_ACTIONS, RULE_MODES } from '../../common/counts/index.js';
import type { PortalService } from '../portal/index.js';
import type { CountService } from './count-service.js';
import { countsErrors } from './errors.js';

export const COUNTS_BANNERS = defineBanners('main counts', {
  item_saved: { text: 'The item is saved.' },
  rule_added: { text: 'The rule is set; it fires for deliveries counted from now on.' },
  rule_removed: { text: 'The rule is removed; events it fired stay in the history.' },
  agreement_saved: { text: 'A new version of the agreement is in force for statements from now on.' },
});

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const by = (req: Request): string => req.consoleUser?.username ?? '?';
/** A form's number: "" is absent, anything else goes to the schema as a number (NaN is refused there). */
const num = (v: unknown): number | undefined => (str(v) === '' ? undefined : Number(str(v)));
const money = (amount: number, currency: string) => formatMoney({ amount, currency });

/** Form fields as the API's JSON bodies, so both go through the same schemas. */
const itemFromForm = (b: Record<string, unknown>) => ({ key: str(b.key), title: str(b.title), supplier: str(b.supplier), pricePoints: num(b.pricePoints) ?? null });
const ruleFromForm = (b: Record<string, unknown>) => ({
  item: str(b.item),
  mode: str(b.mode),
  n: num(b.n),
  action: str(b.action),
  webhooks: str(b.webhooks)
    .split(/\s+/)
    .filter((w) => w !== ''),
});
const agreementFromForm = (b: Record<string, unknown>) => ({ version: 1, rateBps: num(b.rateBps), pointValue: num(b.pointValue), currency: str(b.currency) });

function itemKeyOf(q: Request['query']): string {
  return typeof q.item === 'string' ? q.item : '';
}

/** /admin/counts: counts per item and site, items, rules, agreements, fired events. */
export function countsPages(counts: CountService, portal: PortalService): express.Router {
  const r = express.Router();
  const suppliers = () => [...portal.list({ kind: 'supplier' }), ...portal.list({ kind: 'advertiser' })];
  const page = (req: Request, res: Response, status = 200, error: string | null = null, form: Record<string, unknown> = {}) => {
    res.status(status).render('main-counts', {
      title: 'Delivery counts',
      overview: counts.overview(),
      cursors: counts.cursors(),
      events: counts.store.events({ limit: 100 }),
      suppliers: suppliers(),
      agreements: suppliers().map((p) => ({ party: p, agreement: counts.agreement(p.id) ?? null })),
      modes: RULE_MODES,
      actions: RULE_ACTIONS,
      error,
      form,
      money,
      banner: COUNTS_BANNERS.read(req.query),
    });
  };
  const attempt = (req: Request, res: Response, banner: 'item_saved' | 'rule_added' | 'agreement_saved', fn: (b: Record<string, unknown>) => unknown) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    try {
      fn(b);
      res.redirect(303, COUNTS_BANNERS.href('/admin/counts', banner));
    } catch (err) {
      const out = publicError(err);
      if (out.internal) throw err;
      page(req, res, out.status, out.body.error.message, b);
    }
  };
  r.get('/counts', (req, res) => page(req, res));
  r.post('/counts/items', (req, res) => attempt(req, res, 'item_saved', (b) => counts.putItem(itemFromForm(b), by(req))));
  r.post('/counts/rules', (req, res) => attempt(req, res, 'rule_added', (b) => counts.addRule(ruleFromForm(b), by(req))));
  r.post('/counts/agreements', (req, res) => attempt(req, res, 'agreement_saved', (b) => counts.setAgreement(str(b.party), agreementFromForm(b), by(req))));
  r.post('/counts/rules/:id/remove', (req, res) => {
    counts.removeRule(Number(req.params.id));
    res.redirect(303, COUNTS_BANNERS.href('/admin/counts', 'rule_removed'));
  });
  r.get('/counts/item', (req, res) => {
    const key = itemKeyOf(req.query);
    const o = counts.overview().find((x) => x.key === key);
    if (!o) throw countsErrors.item_not_found(`no counts for "${key}"`);
    res.render('main-counts-item', { title: `Counts: ${o.item?.title ?? key}`, o, events: counts.store.events({ item: key }), money });
  });
  return r;
}

/** /admin/api/counts: the same as JSON; every body through the capability's strict schemas. */
export function countsApi(counts: CountService): express.Router {
  const r = express.Router();
  r.get('/counts', (req, res) => {
    const key = itemKeyOf(req.query);
    const overview = counts.overview();
    res.json({ items: key ? overview.filter((o) => o.key === key) : overview, cursors: counts.cursors() });
  });
  r.put('/counts/items', (req, res) => {
    res.json({ item: counts.putItem(req.body, by(req)) });
  });
  r.get('/counts/rules', (req, res) => {
    const key = itemKeyOf(req.query);
    res.json({ rules: counts.rulesOf(key || undefined) });
  });
  r.post('/counts/rules', (req, res) => {
    res.status(201).json({ rule: counts.addRule(req.body, by(req)) });
  });
  r.delete('/counts/rules/:id', (req, res) => {
    counts.removeRule(Number(req.params.id));
    res.json({ removed: Number(req.params.id) });
  });
  r.get('/counts/events', (req, res) => {
    const key = itemKeyOf(req.query);
    const supplier = typeof req.query.supplier === 'string' ? req.query.supplier : undefined;
    const limit = Math.min(Math.max(Number(req.query.limit) || 500, 1), 5000);
    res.json({ events: counts.store.events({ ...(key ? { item: key } : {}), ...(supplier ? { supplier } : {}), limit }) });
  });
  r.get('/counts/agreements/:party', (req, res) => {
    res.json({ agreement: counts.agreement(String(req.params.party)) ?? null });
  });
  r.put('/counts/agreements/:party', (req, res) => {
    res.json({ agreement: counts.setAgreement(String(req.params.party), req.body, by(req)) });
  });
  return r;
}

/** The portal section for suppliers and advertisers: their own items' counts by site, and the events fired for them. */
export function mountCountsSection(portal: PortalService, counts: CountService): void {
  portal.addSection({
    id: 'counts',
    title: 'Delivery counts',
    kinds: ['supplier', 'advertiser'],
    mount(router, tools) {
      router.get('/', (req, res) => {
        const me = tools.party(req).id;
        res.render('counts-portal', { title: 'Delivery counts', overview: counts.overview(me), events: counts.store.events({ supplier: me, limit: 200 }), money });
      });
    },
  });
}
