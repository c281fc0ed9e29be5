import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { expectNoOptions } from '../../common/http/bodies.js';
import { parseOrThrow } from '../../common/site/enrolment.js';
import { defineBanners } from '../../common/web/banners.js';
import { approve, describePending, emergencyEdit, reject, rollback } from './manager-actions.js';
import { syncStatus, type PartnerSync } from './receiver.js';
import { syncErrors } from './errors.js';
import { previewHandler } from './preview.js';
import { confirmFirst } from '../../common/web/confirm.js';

const num = (v: unknown): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw syncErrors.invalid_request('release must be a positive integer');
  return n;
};
const who = (req: Request) => req.consoleUser?.username ?? 'unknown';

const overridesSchema = z
  .object({
    siteName: z.string().trim().min(1).max(100).optional(),
    colours: z
      .object({
        primary: z.string().regex(/^#[0-9a-fA-F]{6}$/),
        background: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/)
          .optional(),
        text: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/)
          .optional(),
      })
      .partial()
      .strict()
      .optional(),
    logo: z
      .string()
      .max(500)
      .regex(/^(\/assets\/|https:\/\/)/, 'logo must be a release asset (/assets/...) or an https URL')
      .optional(),
    contact: z.string().max(500).optional(),
    blocks: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), z.string().max(5000)).optional(),
  })
  .strict();

/** /manage/api: releases, approvals, rollback, emergency edits and the partner's look. */
export function syncApi(p: PartnerSync): express.Router {
  const r = express.Router();
  r.get('/sync', (_req, res) => {
    res.json({
      ...syncStatus(p),
      serving: p.content.servingState(),
      releases: p.store.list().map(({ manifest, ...rest }) => ({ ...rest, files: manifest.length })),
      log: p.store.recentLog(50),
      emergencyEdits: p.store.emergencyEdits(),
    });
  });
  r.get('/pending', (_req, res) => {
    res.json({ pending: p.store.withState('pending').map((rel) => describePending(p, rel.number)) });
  });
  r.get('/pending/:n', (req, res) => {
    res.json(describePending(p, num(req.params.n)));
  });
  r.post('/pending/:n/approve', async (req, res) => {
    expectNoOptions(req.body);
    res.json(await approve(p, num(req.params.n), who(req)));
  });
  r.post('/pending/:n/reject', async (req, res) => {
    res.json(await reject(p, num(req.params.n), who(req), req.body));
  });
  r.get('/releases', (_req, res) => {
    res.json({ activeRelease: p.store.activeNumber(), releases: p.store.list().map(({ manifest, ...rest }) => ({ ...rest, files: manifest.length })) });
  });
  r.post('/releases/:n/activate', async (req, res) => {
    expectNoOptions(req.body);
    res.json(await rollback(p, num(req.params.n), who(req)));
  });
  r.put(/^\/tieup\/(.+)$/, async (req, res) => {
    res.json(await emergencyEdit(p, String((req.params as Record<string, string>)[0]), who(req), req.body));
  });
  r.get('/overrides', (_req, res) => {
    res.json(p.store.overrides());
  });
  r.put('/overrides', (req, res) => {
    const o = parseOrThrow(overridesSchema, req.body);
    p.store.setOverrides(o);
    p.content.refresh();
    p.store.log('overrides_changed', null, `by ${who(req)}`);
    res.json(o);
  });
  return r;
}

/** What /manage/sync can say after a redirect; the redirect names one by id (see common/web/banners.ts). */
export const SYNC_BANNERS = defineBanners('partner sync', {
  approved: { text: 'Release {release} approved and served.', params: { release: 'int' } },
  approved_unreported: { text: 'Release {release} approved and served (the main site could not be told yet).', params: { release: 'int' } },
  rejected: { text: 'Release {release} rejected.', params: { release: 'int' } },
  rolled_back: { text: 'Rolled back to release {release}.', params: { release: 'int' } },
});

/** /manage pages: the pending cards with diffs, releases with rollback, and the preview of a staged release. */
export function syncPages(p: PartnerSync): express.Router {
  const r = express.Router();
  r.get('/sync', (req: Request, res: Response) => {
    res.render('partner-sync', {
      title: 'Tie-up releases',
      status: syncStatus(p),
      serving: p.content.servingState(),
      pending: p.store.withState('pending').map((rel) => describePending(p, rel.number)),
      releases: p.store.list(),
      log: p.store.recentLog(30),
      edits: p.store.emergencyEdits(),
      shadowed: p.content.current().shadowed,
      banner: SYNC_BANNERS.read(req.query),
    });
  });
  r.post('/sync/pending/:n/approve', async (req, res) => {
    const out = await approve(p, num(req.params.n), who(req));
    res.redirect(303, SYNC_BANNERS.href('/manage/sync', out.reported ? 'approved' : 'approved_unreported', { release: out.release }));
  });
  r.post(
    '/sync/pending/:n/reject',
    confirmFirst((req) => ({
      title: `Reject release ${String(req.params.n)}?`,
      consequence: `Release ${String(req.params.n)} will never be served here: it is set aside and the reason is sent to the main site. A later release from the main site can still be approved.`,
      confirmLabel: `Reject release ${String(req.params.n)}`,
      back: '/manage/sync',
    })),
  );
  r.post('/sync/pending/:n/reject', async (req, res) => {
    const out = await reject(p, num(req.params.n), who(req), { reason: (req.body as Record<string, unknown>).reason });
    res.redirect(303, SYNC_BANNERS.href('/manage/sync', 'rejected', { release: out.release }));
  });
  r.post(
    '/sync/releases/:n/activate',
    confirmFirst((req) => ({
      title: `Roll back to release ${String(req.params.n)}?`,
      consequence: `Shoppers get release ${String(req.params.n)} at once instead of release ${p.store.activeNumber() ?? 'none'}; the main site is told and shows the newer release as not served.`,
      confirmLabel: `Roll back to release ${String(req.params.n)}`,
      back: '/manage/sync',
    })),
  );
  r.post('/sync/releases/:n/activate', async (req, res) => {
    const out = await rollback(p, num(req.params.n), who(req));
    res.redirect(303, SYNC_BANNERS.href('/manage/sync', 'rolled_back', { release: out.release }));
  });
  // The release rendered as shoppers would get it: its own templates and assets, this partner's pages and look.
  r.get(/^\/preview\/(\d+)(\/.*)?$/, previewHandler(p));
  return r;
}
