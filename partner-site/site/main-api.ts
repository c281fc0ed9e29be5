import express, { type Request, type Response } from 'express';
import type { SiteContext } from '../../common/site/context.js';
import { expectNoOptions } from '../../common/http/bodies.js';
import { contractNotWritableHere, describePeer, enrolPeer, enrolmentSchema, parseOrThrow } from '../../common/site/enrolment.js';
import { helloPeer } from '../../common/site/peer-protocol.js';
import { siteErrors } from './errors.js';

const mainPeer = (ctx: SiteContext) => ctx.peers.main();

/** /manage/api/main: the one main site this partner belongs to. */
export function mainApi(ctx: SiteContext): express.Router {
  const r = express.Router();
  r.get('/', (_req, res) => {
    const m = mainPeer(ctx);
    if (!m) throw siteErrors.main_not_enrolled('no main site is enrolled yet; PUT /manage/api/main to enrol it');
    res.json(describePeer(ctx, m));
  });
  r.put('/', async (req: Request, res: Response) => {
    // Checked before the enrolled main site is removed: a malformed body must change nothing.
    parseOrThrow(enrolmentSchema, req.body);
    const existing = mainPeer(ctx);
    const id = (req.body as { id?: unknown } | undefined)?.id;
    if ((req.body as { contract?: unknown } | undefined)?.contract !== undefined) throw contractNotWritableHere();
    if (existing && existing.id !== id) throw siteErrors.main_exists(`this partner already belongs to main site "${existing.id}"; DELETE /manage/api/main first`);
    if (existing) ctx.peers.remove(existing.id);
    const peer = await enrolPeer(ctx, 'main', req.body);
    res.status(existing ? 200 : 201).json(describePeer(ctx, peer));
  });
  r.delete('/', (req, res) => {
    expectNoOptions(req.body);
    const m = mainPeer(ctx);
    if (!m) throw siteErrors.main_not_enrolled('no main site is enrolled');
    ctx.peers.remove(m.id);
    ctx.logger.info({ event: 'peer_removed', peer: m.id, by: req.consoleUser?.username }, 'main site removed');
    res.status(204).end();
  });
  r.post('/hello', async (req, res) => {
    expectNoOptions(req.body);
    const m = mainPeer(ctx);
    if (!m) throw siteErrors.main_not_enrolled('no main site is enrolled');
    res.json(await helloPeer(ctx, m.id));
  });
  return r;
}
