import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { expectNoOptions } from '../../common/http/bodies.js';
import type { SiteContext } from '../../common/site/context.js';
import { describePeer, enrolPeer, parseOrThrow } from '../../common/site/enrolment.js';
import { setPeerStatus } from '../../common/site/console-routes.js';
import { helloPeer } from '../../common/site/peer-protocol.js';
import { checkAllPairs } from './partners-check.js';
import { partnerOr404, removePartner, writeContract } from './partners.js';

const patchSchema = z
  .object({
    baseUrl: z
      .string()
      .url()
      .refine((u) => !URL.canParse(u) || /^https?:$/.test(new URL(u).protocol), 'baseUrl must be http or https')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    status: z.enum(['active', 'suspended']).optional(),
    /**
     * Terms by capability, e.g. {"sync": {...}, "shop": {...}}: each slice given
     * replaces that slice wholesale (fields not given take their defaults);
     * slices not given are left as they are. Checked by the slices of the
     * site's modules (ctx.terms), so a new capability's terms need no edit here.
     */
    contract: z.unknown().optional(),
  })
  .strict();

export interface PartnersApiHooks {
  /** Extra fields per partner (its sync status). */
  describe?: (id: string) => Record<string, unknown>;
  /** Called after any change to partners (schedules are rebuilt). */
  onChange?: () => void;
}

/** /admin/api/partners: enrol, list, update, suspend, remove and check partners. */
export function partnersApi(ctx: SiteContext, hooks: PartnersApiHooks = {}): express.Router {
  const r = express.Router();
  const user = (req: Request) => req.consoleUser?.username ?? '?';
  const describe = (p: Parameters<typeof describePeer>[1]) => ({ ...describePeer(ctx, p), ...(hooks.describe?.(p.id) ?? {}) });
  r.use((req, res, next) => {
    if (req.method !== 'GET' && hooks.onChange) res.on('finish', () => hooks.onChange!());
    next();
  });

  r.get('/', (_req, res) => {
    res.json({
      partners: ctx.peers
        .list()
        .filter((p) => p.role === 'partner')
        .map((p) => describe(p)),
    });
  });
  r.post('/', async (req: Request, res: Response) => {
    const peer = await enrolPeer(ctx, 'partner', req.body);
    res.status(201).location(`/admin/api/partners/${peer.id}`).json(describe(peer));
  });
  r.post('/check', async (req, res) => {
    expectNoOptions(req.body);
    res.json(await checkAllPairs(ctx));
  });
  r.get('/:id', (req, res) => {
    res.json(describe(partnerOr404(ctx, String(req.params.id))));
  });
  r.patch('/:id', (req, res) => {
    const p = partnerOr404(ctx, String(req.params.id));
    const body = parseOrThrow(patchSchema, req.body);
    // Checked before anything is written: a refused contract changes nothing, not even the base URL.
    if (body.contract !== undefined) writeContract(ctx, p, body.contract, user(req));
    if (body.baseUrl) ctx.peers.setBaseUrl(p.id, body.baseUrl);
    if (body.status) setPeerStatus(ctx, p.id, body.status, user(req));
    res.json(describe(ctx.peers.get(p.id)!));
  });
  r.post('/:id/suspend', (req, res) => {
    const p = partnerOr404(ctx, String(req.params.id));
    expectNoOptions(req.body);
    setPeerStatus(ctx, p.id, 'suspended', user(req));
    res.json(describe(ctx.peers.get(p.id)!));
  });
  r.post('/:id/activate', (req, res) => {
    const p = partnerOr404(ctx, String(req.params.id));
    expectNoOptions(req.body);
    setPeerStatus(ctx, p.id, 'active', user(req));
    res.json(describe(ctx.peers.get(p.id)!));
  });
  r.delete('/:id', (req, res) => {
    const p = partnerOr404(ctx, String(req.params.id));
    expectNoOptions(req.body);
    removePartner(ctx, p, user(req));
    res.status(204).end();
  });
  r.post('/:id/hello', async (req, res) => {
    const p = partnerOr404(ctx, String(req.params.id));
    expectNoOptions(req.body);
    res.json(await helloPeer(ctx, p.id));
  });
  return r;
}
