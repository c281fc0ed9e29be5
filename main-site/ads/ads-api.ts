import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request } from 'express';
import { ADS_EXCHANGE, ADS_POINTS, ADS_VIEW } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { amountFromText, amountToText, formatMoney } from '../../common/money.js';
import type { AdHolder } from '../../common/ads/index.js';
import type { PortalService } from '../portal/index.js';
import { AD_STATES, type AdRow, type AdState } from './ads-store.js';
import type { AdsService, SiteChoice } from './ads-service.js';
import { adsErrors } from './errors.js';

const money = (a: number, c: string) => formatMoney({ amount: a, currency: c });
const who = (req: Request) => req.consoleUser?.username ?? 'operator';
const stateOf = (v: unknown): AdState | undefined => (typeof v === 'string' && (AD_STATES as readonly string[]).includes(v) ? (v as AdState) : undefined);
const str = (v: unknown, max = 100): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);

/** An ad as the console and API show it: its state and counts (SC = delivered in this cycle). */
export function adView(a: AdRow) {
  return { ...a, cycleCount: a.delivered - a.cycleStart, cyclePaid: a.paidTotal - a.cycleStart, remaining: Math.max(0, a.paidTotal - a.delivered) };
}

/** Every site's latest choices, the main site's own first-hand. */
export function allChoices(ads: AdsService, own: AdHolder): SiteChoice[] {
  return [...own.status().choices.map((c) => ({ ...c, site: own.site })), ...ads.reportedChoices()].sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 200);
}

/** Partners exchange quota and credit viewing points here. */
export function mountAdsEndpoints(router: express.Router, ads: AdsService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, ADS_EXCHANGE, (s2s, body) => ({ body: ads.exchange(s2s.peer.id, body) }));
  s2sEndpoint(router, deps, ADS_VIEW, (s2s, body) => ({ body: ads.creditView(s2s.peer.id, body) }));
  s2sEndpoint(router, deps, ADS_POINTS, (_s2s, body) => ({ body: ads.pointsFor(body.user) }));
}

/** /admin/api/ads...: commission, pay, withdraw, read leases, choices and points. */
export function adsApi(ads: AdsService, own: AdHolder): express.Router {
  const r = express.Router();
  r.get('/ads', (req, res) => {
    res.json({ ads: ads.list({ advertiser: str(req.query.advertiser), state: stateOf(req.query.state) }).map(adView) });
  });
  r.post('/ads', (req, res) => {
    res.status(201).json({ ad: adView(ads.create(req.body, who(req))) });
  });
  r.get('/ads/leases', (req, res) => {
    const state = req.query.state === 'open' || req.query.state === 'lapsed' || req.query.state === 'closed' ? req.query.state : undefined;
    res.json({ leases: ads.leases({ ad: str(req.query.ad), site: str(req.query.site), state }) });
  });
  r.get('/ads/choices', (_req, res) => {
    res.json({ choices: allChoices(ads, own) });
  });
  r.get('/ads/points/:user', (req, res) => {
    res.json({ user: req.params.user, ...ads.points(String(req.params.user)) });
  });
  r.post('/ads/points/:user/redeem', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.ref !== 'string' || !/^[A-Za-z0-9_.:-]{4,80}$/.test(b.ref) || !Number.isInteger(b.pricePoints) || (b.pricePoints as number) < 0 || (b.pricePoints as number) > 1e9) {
      throw adsErrors.invalid_request('give ref (4-80 letters, digits, ".", ":", "-", "_") and pricePoints (a whole number >= 0)');
    }
    res.json(ads.redeem(String(req.params.user), b.ref, b.pricePoints as number, typeof b.reason === 'string' ? b.reason : 'paid content'));
  });
  r.get('/ads/:id', (req, res) => {
    const a = ads.ad(String(req.params.id));
    res.json({ ad: adView(a), events: ads.store.events(a.id), payments: ads.store.payments(a.id), leases: ads.leases({ ad: a.id }) });
  });
  r.post('/ads/:id/payments', (req, res) => {
    const out = ads.pay({ ...((req.body ?? {}) as object), ad: String(req.params.id) }, 'operator', who(req));
    res.status(out.replayed ? 200 : 201).json({ ...out, ad: adView(out.ad) });
  });
  r.post('/ads/:id/withdraw', (req, res) => {
    res.json({ ad: adView(ads.withdraw(String(req.params.id), who(req))) });
  });
  return r;
}

/** /admin/ads: the ads with state and counts, the latest choices with their reasons; one ad with its leases, events and a payment form. */
export function adsPages(ads: AdsService, own: AdHolder): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  r.get('/ads', (req, res) => {
    res.render('main-ads', { title: 'Ads', ads: ads.list().map(adView), choices: allChoices(ads, own).slice(0, 50), money, csrfToken: req.csrfToken });
  });
  /** The payment form's fields: the ad's price and count, or what was typed when it was refused (so nothing is typed twice). */
  type PayForm = { payment: string; amount: string; currency: string; count: string };
  const showAd = (req: Request, res: express.Response, notice: string | null, error: string | null, typed?: PayForm) => {
    const a = ads.ad(String(req.params.id));
    const pay: PayForm = typed ?? { payment: '', amount: amountToText(a.price.amount, a.price.currency), currency: a.price.currency, count: String(a.countPerPayment) };
    res.render('main-ad', {
      title: `Ad ${a.id}`,
      ad: adView(a),
      events: ads.store.events(a.id),
      payments: ads.store.payments(a.id),
      leases: ads.leases({ ad: a.id }).slice(0, 50),
      money,
      pay,
      csrfToken: req.csrfToken,
      notice,
      error,
    });
  };
  r.get('/ads/:id', (req, res) => showAd(req, res, null, null));
  r.post('/ads/:id/pay', form, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : v);
    try {
      // The form takes the amount as a person writes it ("12.00"); the JSON API takes minor units.
      const currency = typeof b.currency === 'string' ? b.currency.trim().toUpperCase() : '';
      const amount = typeof b.amount === 'string' ? amountFromText(b.amount, currency) : null;
      if (amount === null) throw new RangeError('a number, like 12.50');
      if (amount === 0) throw new RangeError('more than 0 (a payment of nothing buys nothing)');
      const count = typeof b.count === 'string' && b.count.trim() !== '' ? num(b.count) : undefined;
      if (count !== undefined && typeof count !== 'number') throw new Error("Deliveries: a whole number of at least 1, or empty for the ad's usual count");
      const out = ads.pay({ payment: b.payment, ad: String(req.params.id), amount, currency, ...(count !== undefined ? { count } : {}) }, 'operator', who(req));
      showAd(req, res, out.replayed ? `Payment ${out.payment.id} was already recorded.` : `Payment ${out.payment.id} recorded; the ad is ${out.ad.state}.`, null);
    } catch (err) {
      res.status(400);
      const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : '');
      const message = err instanceof RangeError ? `Amount: ${err.message.replace(/^an amount is /, '')}` : (err as Error).message;
      showAd(req, res, null, message, { payment: text(b.payment), amount: text(b.amount), currency: text(b.currency), count: text(b.count) });
    }
  });
  return r;
}

/**
 * The payment provider's signed webhook: POST /ads/payments with the JSON of a
 * payment and `Tieup-Payment-Signature: sha256=<hex HMAC-SHA256 of the raw body
 * with TIEUP_ADS_PAYMENT_SECRET>`. Recorded once per payment id.
 */
export function paymentWebhook(ads: AdsService, secret: () => string): express.Router {
  const r = express.Router();
  r.post('/ads/payments', express.raw({ type: () => true, limit: '16kb' }), (req, res) => {
    const fail = (status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });
    const key = secret();
    if (!key) return fail(404, 'webhook_off', adsErrors.webhook_off().message);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const sig = /^sha256=([0-9a-f]{64})$/.exec(String(req.get('tieup-payment-signature') ?? ''));
    const want = createHmac('sha256', key).update(raw).digest();
    if (!sig || !timingSafeEqual(Buffer.from(sig[1]!, 'hex'), want)) return fail(401, 'bad_signature', adsErrors.bad_signature().message);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return fail(400, 'invalid_request', 'the body is not JSON');
    }
    try {
      const out = ads.pay(body, 'webhook', 'payment webhook');
      res.status(out.replayed ? 200 : 201).json({ payment: out.payment, state: out.ad.state, replayed: out.replayed });
    } catch (err) {
      const e = err as { status?: number; code?: string; message: string };
      fail(e.status ?? 500, e.code ?? 'internal', e.status && e.status < 500 ? e.message : 'internal error');
    }
  });
  return r;
}

/** The portal's "Ads" for advertisers: their own ads only, with states, counts, payment and re-payment requests and payments recorded. */
export function addAdsSection(portal: PortalService, ads: AdsService): void {
  portal.addSection({
    id: 'ads',
    title: 'Ads',
    kinds: ['advertiser'],
    mount(router, tools) {
      router.get('/', (req, res) => {
        const mine = ads.list({ advertiser: tools.party(req).id });
        res.render('portal-ads', { title: 'Ads', ads: mine.map(adView), ad: null, events: [], payments: [], money });
      });
      router.get('/:id', (req, res) => {
        const a = ads.store.ad(String(req.params.id));
        // Another advertiser's ad is answered exactly like one that does not exist.
        if (!a || a.advertiser !== tools.party(req).id) {
          res.status(404).render('portal-ads', { title: 'Ads', ads: [], ad: null, events: [], payments: [], money });
          return;
        }
        res.render('portal-ads', { title: a.definition.title, ads: [], ad: adView(a), events: ads.store.events(a.id), payments: ads.store.payments(a.id), money });
      });
    },
  });
}
