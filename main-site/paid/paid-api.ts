import express from 'express';
import { PAID_KEY_ISSUE, PAID_SUBSCRIBE, PAID_UNSUBSCRIBE } from '../../common/protocol/index.js';
import { s2sEndpoint, type S2SServerDeps } from '../../common/s2s/middleware.js';
import { formatMoney } from '../../common/money.js';
import { confirmFirst } from '../../common/web/confirm.js';
import type { PaidService } from './paid-service.js';
import { paidErrors } from './errors.js';

/** Partners ask for keys and register subscriptions here, over the authenticated channel. */
export function mountPaidEndpoints(router: express.Router, paid: PaidService, deps: S2SServerDeps): void {
  s2sEndpoint(router, deps, PAID_KEY_ISSUE, async (s2s, body) => {
    const answer = await paid.issueKey(s2s.peer.id, body);
    return { status: answer.replayed ? 200 : 201, body: answer };
  });
  s2sEndpoint(router, deps, PAID_SUBSCRIBE, (s2s, body) => {
    const answer = paid.subscribe(s2s.peer.id, body);
    return { status: answer.replayed ? 200 : 201, body: answer };
  });
  s2sEndpoint(router, deps, PAID_UNSUBSCRIBE, (s2s, body) => ({ body: paid.unsubscribe(s2s.peer.id, body.subscriptionId) }));
}

const str = (v: unknown, max = 100): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);

function itemList(paid: PaidService) {
  return [...paid.items().values()].map(({ item, pages, entry }) => ({ ...item, pages: [...pages.keys()], hasEntryPage: entry !== null }));
}

/** Keys as the console shows them: never the token itself (it opens the item). */
function keyList(paid: PaidService, q: Record<string, unknown>) {
  return paid.store.keys({ partner: str(q.partner), item: str(q.item), user: str(q.user), limit: Number(q.limit) || 200 }).map(({ token: _token, requestHash: _h, ...k }) => k);
}

function revoke(paid: PaidService, body: Record<string, unknown>, by: string) {
  const scope = body.scope;
  if (scope !== 'key' && scope !== 'user_item' && scope !== 'partner') throw paidErrors.invalid_revocation('scope is key, user_item or partner');
  return paid.revoke({
    scope: scope,
    keyId: str(body.keyId),
    partner: str(body.partner),
    userId: str(body.userId),
    item: str(body.item),
    reason: str(body.reason, 500) ?? 'revoked by the operator',
    by,
  });
}

/** /admin/api/paid: items, keys, subscriptions, revocations. */
export function paidApi(paid: PaidService): express.Router {
  const r = express.Router();
  r.get('/paid/items', (_req, res) => {
    res.json({ items: itemList(paid), problems: paid.itemProblems() });
  });
  r.get('/paid/keys', (req, res) => {
    res.json({ keys: keyList(paid, req.query) });
  });
  r.get('/paid/charges', (_req, res) => {
    res.json({ charges: paid.store.chargeTotals() });
  });
  r.get('/paid/subscriptions', (_req, res) => {
    res.json({ subscriptions: paid.store.subscriptions() });
  });
  r.get('/paid/revocations', (_req, res) => {
    res.json({ revocations: paid.store.revocations() });
  });
  r.post('/paid/revocations', express.json({ limit: '4kb' }), (req, res) => {
    res.status(201).json({ revocation: revoke(paid, (req.body ?? {}) as Record<string, unknown>, req.consoleUser?.username ?? 'operator') });
  });
  return r;
}

/** /admin/paid: the console page (items, keys with their charges, revocation). */
export function paidPages(paid: PaidService): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const show = (req: express.Request, res: express.Response, notice: string | null, error: string | null) =>
    res.render('main-paid', {
      title: 'Paid content',
      items: itemList(paid),
      problems: paid.itemProblems(),
      keys: keyList(paid, req.query),
      charges: paid.store.chargeTotals(),
      subscriptions: paid.store.subscriptions(100),
      revocations: paid.store.revocations().slice(-100).reverse(),
      money: (a: number, c: string) => formatMoney({ amount: a, currency: c }),
      csrfToken: req.csrfToken,
      notice,
      error,
    });
  r.get('/paid', (req, res) => {
    const done = req.query.revoked;
    show(req, res, done === 'key' || done === 'user_item' || done === 'partner' ? `Revoked (${done}); in force from the next page.` : null, null);
  });
  // Revoking every key of a partner stops all of its shoppers' reading at once and cannot be undone: it asks first.
  r.post(
    '/paid/revoke',
    form,
    confirmFirst(
      (req) => {
        const given = (req.body as Record<string, unknown>).partner;
        const partner = typeof given === 'string' ? given.slice(0, 64) : '';
        return {
          title: `Revoke every key of ${partner}?`,
          consequence: `Every access key issued through ${partner} stops working from its next page, for every shopper of ${partner}. Keys cannot be un-revoked; shoppers must open their items again from ${partner}.`,
          confirmLabel: `Revoke all keys of ${partner}`,
          back: '/admin/paid',
        };
      },
      // Only a partner that can be revoked is asked about; a name that is none is refused at once (below).
      (req) => {
        const b = req.body as Record<string, unknown>;
        return b.scope === 'partner' && paid.knowsPartner(typeof b.partner === 'string' ? b.partner : '');
      },
    ),
  );
  r.post('/paid/revoke', form, (req, res) => {
    try {
      const rev = revoke(paid, (req.body ?? {}) as Record<string, unknown>, req.consoleUser?.username ?? 'operator');
      // Post, then redirect: reloading the answer must not revoke a second time.
      res.redirect(303, `/admin/paid?revoked=${encodeURIComponent(rev.scope)}#revocations`);
    } catch (err) {
      res.status(400);
      show(req, res, null, (err as Error).message);
    }
  });
  return r;
}
