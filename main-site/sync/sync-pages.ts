import express, { type Request, type Response } from 'express';
import { S2SCallError } from '../../common/s2s/client.js';
import type { MainSync } from './main-sync.js';
import { publish } from './publisher.js';
import { checkDrift } from './pusher.js';
import { syncView } from './sync-api.js';

const back = (res: Response, msg: string, ok = true) => res.redirect(303, `/admin/sync?${ok ? 'done' : 'error'}=${encodeURIComponent(msg)}`);

/** /admin/sync: per-partner sync status, push now, publish, drift checks, the delivery log. */
export function syncPages(m: MainSync): express.Router {
  const r = express.Router();
  r.get('/sync', (req: Request, res: Response) => {
    res.render('main-sync', {
      title: 'Tie-up sync',
      latest: m.releases.latest() ?? null,
      releases: m.releases.list(10),
      partners: m.ctx.peers.list().filter((p) => p.role === 'partner').map((p) => ({ id: p.id, status: p.status, ...syncView(m, p.id) })),
      deliveries: m.sync.deliveries(null, 30),
      events: m.sync.events(null, 20),
      done: typeof req.query.done === 'string' ? req.query.done : null,
      error: typeof req.query.error === 'string' ? req.query.error : null,
    });
  });
  r.post('/sync/publish', (req, res) => {
    try {
      const note = String((req.body as Record<string, unknown>).note ?? '').slice(0, 2000);
      const out = publish(m, note, req.consoleUser?.username ?? 'operator');
      back(res, out.created ? `Release ${out.release.number} published.` : 'Nothing changed since the latest release.');
    } catch (err) {
      back(res, (err as Error).message, false);
    }
  });
  r.post('/sync/push/:id', async (req, res) => {
    const id = String(req.params.id);
    const body = req.body as Record<string, unknown>;
    try {
      const out = await m.queue.push({ partnerId: id, trigger: body.repair === '1' ? 'repair' : 'manual', overrideFreeze: body.overrideFreeze === '1', repair: body.repair === '1' });
      back(res, `${id}: ${out.outcome} (${out.detail})`, out.outcome !== 'failed');
    } catch (err) {
      back(res, `${id}: push failed: ${err instanceof S2SCallError ? err.code + ' ' : ''}${(err as Error).message}`, false);
    }
  });
  r.post('/sync/drift/:id', async (req, res) => {
    const id = String(req.params.id);
    try {
      await checkDrift(m, id);
      const v = syncView(m, id);
      back(res, v.drift ? `${id} has drifted: ${v.driftDetail}` : `${id} serves exactly release ${v.activeRelease}.`, !v.drift);
    } catch (err) {
      back(res, `${id}: drift check failed: ${(err as Error).message}`, false);
    }
  });
  return r;
}
