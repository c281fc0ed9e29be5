import express, { type Request, type Response } from 'express';
import { publicError } from '../../common/errors.js';
import { defineBanners, failureBanner, type Banner } from '../../common/web/banners.js';
import type { MainSync } from './main-sync.js';
import { publish } from './publisher.js';
import { checkDrift, type PushOutcome } from './pusher.js';
import { syncTargets, syncView } from './sync-api.js';
import { DELIVERY_STATES, deliveriesCsv, filterQuery, parseDeliveryFilter, type ParsedFilter } from './delivery-log.js';

/** What /admin/sync can say after a redirect; the redirect names one by id (see common/web/banners.ts). */
export const SYNC_BANNERS = defineBanners('main sync', {
  published: { text: 'Release {release} published.', params: { release: 'int' } },
  published_held: {
    text: 'Release {release} published. It is held back from {count#partner} whose own pages use its page paths; their last push below says which.',
    params: { release: 'int', count: 'int' },
    error: true,
  },
  unchanged: { text: 'Nothing changed since the latest release.' },
  push_active: { text: '{partner} now serves release {release}.', params: { partner: 'site', release: 'int' } },
  push_pending: { text: "Release {release} is staged at {partner} and waits for its manager's approval.", params: { partner: 'site', release: 'int' } },
  push_noop: { text: 'Nothing to push to {partner}: it needs no new release.', params: { partner: 'site' } },
  push_frozen: { text: '{partner} is in a freeze window: the push waits.', params: { partner: 'site' } },
  push_skipped: { text: 'The push to {partner} was skipped; its row below says why.', params: { partner: 'site' } },
  push_superseded: { text: 'The push to {partner} was superseded.', params: { partner: 'site' } },
  push_failed: { text: 'The push to {partner} failed; its last push below says why.', params: { partner: 'site' }, error: true },
  in_step: { text: '{partner} serves exactly release {release}.', params: { partner: 'site', release: 'int' } },
  in_step_empty: { text: '{partner} serves no release, as expected.', params: { partner: 'site' } },
  drifted: { text: '{partner} has drifted; its integrity column below says how.', params: { partner: 'site' }, error: true },
});

const BASE = '/admin/sync';

function pushBanner(out: PushOutcome): string {
  const partner = out.partner;
  switch (out.outcome) {
    case 'active':
    case 'pending':
      return SYNC_BANNERS.href(BASE, out.outcome === 'active' ? 'push_active' : 'push_pending', { partner, release: out.release ?? 0 });
    case 'noop':
      return SYNC_BANNERS.href(BASE, 'push_noop', { partner });
    case 'frozen':
      return SYNC_BANNERS.href(BASE, 'push_frozen', { partner });
    case 'skipped':
      return SYNC_BANNERS.href(BASE, 'push_skipped', { partner });
    case 'superseded':
      return SYNC_BANNERS.href(BASE, 'push_superseded', { partner });
    case 'failed':
      return SYNC_BANNERS.href(BASE, 'push_failed', { partner });
  }
}

const DELIVERY_LIMIT = 30;

/** /admin/sync: per-partner sync status, push now, publish, drift checks, the delivery log (filtered, CSV); live fragments. */
export function syncPages(m: MainSync): express.Router {
  const r = express.Router();
  // Push targets only: a partner without sync terms carries no tie-up pages (a coordination peer), so it gets no push buttons here.
  const noFilter: ParsedFilter = { filter: { limit: DELIVERY_LIMIT }, query: { partner: '', state: '', release: '' } };
  const render = (res: Response, banner: Banner | null, status = 200, f: ParsedFilter = noFilter) => {
    const { partners: enrolled, withoutSync } = syncTargets(m);
    res.status(status).render('main-sync', {
      title: 'Tie-up sync',
      latest: m.releases.latest() ?? null,
      releases: m.releases.list(10),
      partners: enrolled,
      withoutSync,
      deliveries: m.sync.filteredDeliveries(f.filter),
      deliveryLimit: f.filter.limit,
      deliveryChoices: { partners: enrolled.map((p) => p.id), releases: m.sync.deliveryChoices().releases },
      deliveryStates: DELIVERY_STATES,
      dq: f.query,
      deliveryQuery: filterQuery(f.query),
      events: m.sync.events(null, 20),
      banner,
    });
  };
  // A failed action is answered in place with the error's public message: a failure's text never travels in a URL.
  const failed = (res: Response, prefix: string, err: unknown) => {
    const { status, body, internal } = publicError(err);
    if (internal) m.ctx.logger.error({ event: 'console_action_failed', err }, 'console action failed');
    render(res, failureBanner(`${prefix}${body.error.message}`), status);
  };
  r.get('/sync', (req: Request, res: Response) => {
    let f: ParsedFilter;
    try {
      f = parseDeliveryFilter(m, req.query, { strict: false, limit: DELIVERY_LIMIT, maxLimit: DELIVERY_LIMIT });
    } catch (err) {
      return failed(res, '', err);
    }
    render(res, SYNC_BANNERS.read(req.query), 200, f);
  });
  // Fragments for live.js (docs/console-live.md): the same markup as the page's, one table each.
  r.get('/sync/live/latest', (_req, res) => res.render('sync-live-latest', { latest: m.releases.latest() ?? null }));
  r.get('/sync/live/partners', (_req, res) => res.render('sync-live-partners', syncTargets(m)));
  r.get('/sync/live/events', (_req, res) => res.render('sync-live-events', { events: m.sync.events(null, 20) }));
  r.get('/sync/live/deliveries', (req, res) => {
    const f = parseDeliveryFilter(m, req.query, { strict: true, limit: DELIVERY_LIMIT, maxLimit: DELIVERY_LIMIT });
    res.render('sync-live-deliveries', { deliveries: m.sync.filteredDeliveries(f.filter) });
  });
  r.get('/sync/deliveries.csv', (req, res) => {
    let f: ParsedFilter;
    try {
      f = parseDeliveryFilter(m, req.query, { strict: true, limit: 5000, maxLimit: 5000 });
    } catch (err) {
      const { status, body } = publicError(err);
      res.status(status).type('text/plain').send(`${body.error.code}: ${body.error.message}\n`);
      return;
    }
    const name = ['deliveries', f.query.partner, f.query.state, f.query.release && `release-${f.query.release}`].filter(Boolean).join('-');
    res
      .type('text/csv')
      .set('Content-Disposition', `attachment; filename="${name}.csv"`)
      .send(deliveriesCsv(m.sync.filteredDeliveries(f.filter)));
  });
  r.post('/sync/publish', (req, res) => {
    try {
      const note = String((req.body as Record<string, unknown>).note ?? '').slice(0, 2000);
      const out = publish(m, note, req.consoleUser?.username ?? 'operator');
      if (!out.created) res.redirect(303, SYNC_BANNERS.href(BASE, 'unchanged'));
      else if (out.collisions.length) res.redirect(303, SYNC_BANNERS.href(BASE, 'published_held', { release: out.release.number, count: out.collisions.length }));
      else res.redirect(303, SYNC_BANNERS.href(BASE, 'published', { release: out.release.number }));
    } catch (err) {
      failed(res, '', err);
    }
  });
  r.post('/sync/push/:id', async (req, res) => {
    const id = String(req.params.id);
    const body = req.body as Record<string, unknown>;
    try {
      const out = await m.queue.push({ partnerId: id, trigger: body.repair === '1' ? 'repair' : 'manual', overrideFreeze: body.overrideFreeze === '1', repair: body.repair === '1' });
      res.redirect(303, pushBanner(out));
    } catch (err) {
      failed(res, `${id}: push failed: `, err);
    }
  });
  r.post('/sync/drift/:id', async (req, res) => {
    const id = String(req.params.id);
    try {
      await checkDrift(m, id);
      const v = syncView(m, id);
      if (v.drift) res.redirect(303, SYNC_BANNERS.href(BASE, 'drifted', { partner: id }));
      else if (v.activeRelease === null) res.redirect(303, SYNC_BANNERS.href(BASE, 'in_step_empty', { partner: id }));
      else res.redirect(303, SYNC_BANNERS.href(BASE, 'in_step', { partner: id, release: v.activeRelease }));
    } catch (err) {
      failed(res, `${id}: drift check failed: `, err);
    }
  });
  return r;
}
