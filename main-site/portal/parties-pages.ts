import express, { type Request, type Response } from 'express';
import { publicError } from '../../common/errors.js';
import { defineBanners } from '../../common/web/banners.js';
import type { NoticeService } from '../notices/index.js';
import { portalErrors } from './errors.js';
import { PARTY_KINDS, type PartyKind, type PartyStatus } from './party-store.js';
import { PARTY_KIND_LABELS, type PortalService } from './portal-service.js';

const PARTY_ID = /^p-[0-9a-f]{12}$/;

/** What /admin/parties can say after a redirect. */
export const PARTIES_BANNERS = defineBanners('main parties', {
  invited: { text: 'Invitation stored and queued for delivery (see Notices).' },
  resent: { text: 'A new invitation is queued; earlier links no longer work.' },
  suspended: { text: 'The party is suspended and its sessions ended.' },
  reactivated: { text: 'The party is active again.' },
  webhook_saved: { text: "The party's webhook address is saved." },
});

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const by = (req: Request): string => req.consoleUser?.username ?? '?';

/** /admin/parties: invite, list, detail, suspend/reactivate, resend the invitation. */
export function partiesPages(portal: PortalService, notices: NoticeService): express.Router {
  const r = express.Router();
  const listPage = (req: Request, res: Response, status = 200, error: string | null = null, form: Record<string, string> = {}) => {
    const kind = str(req.query.kind);
    const st = str(req.query.status);
    const filter = {
      ...((PARTY_KINDS as readonly string[]).includes(kind) ? { kind: kind as PartyKind } : {}),
      ...(['invited', 'active', 'suspended'].includes(st) ? { status: st as PartyStatus } : {}),
    };
    res.status(status).render('main-parties', {
      title: 'Parties',
      inviteHours: portal.inviteHours(),
      parties: portal.list(filter),
      filter,
      kinds: PARTY_KINDS,
      labels: PARTY_KIND_LABELS,
      error,
      form,
      banner: PARTIES_BANNERS.read(req.query),
    });
  };
  const idOf = (req: Request): string => {
    const id = String(req.params.id);
    if (!PARTY_ID.test(id) || !portal.get(id)) throw portalErrors.party_not_found(`no party "${id}"`);
    return id;
  };
  r.get('/parties', (req, res) => listPage(req, res));
  r.post('/parties', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const form = { email: str(b.email), kind: str(b.kind), displayName: str(b.displayName), webhookUrl: str(b.webhookUrl) };
    try {
      const { party } = portal.invite(form, by(req));
      res.redirect(303, PARTIES_BANNERS.href(`/admin/parties/${party.id}`, 'invited'));
    } catch (err) {
      const out = publicError(err);
      if (out.internal) throw err;
      listPage(req, res, out.status, out.body.error.message, form);
    }
  });
  r.get('/parties/:id', (req, res) => {
    const id = idOf(req);
    res.render('main-party', {
      title: 'Party',
      p: portal.get(id)!,
      labels: PARTY_KIND_LABELS,
      invitations: portal.invitations(id),
      notices: notices.list({ recipient: id, limit: 50 }),
      sections: portal.sectionsFor(portal.get(id)!.kind),
      banner: PARTIES_BANNERS.read(req.query),
    });
  });
  r.post('/parties/:id/suspend', (req, res) => {
    const id = idOf(req);
    portal.suspend(id, by(req));
    res.redirect(303, PARTIES_BANNERS.href(`/admin/parties/${id}`, 'suspended'));
  });
  r.post('/parties/:id/reactivate', (req, res) => {
    const id = idOf(req);
    portal.reactivate(id, by(req));
    res.redirect(303, PARTIES_BANNERS.href(`/admin/parties/${id}`, 'reactivated'));
  });
  r.post('/parties/:id/resend', (req, res) => {
    const id = idOf(req);
    portal.resendInvitation(id, by(req));
    res.redirect(303, PARTIES_BANNERS.href(`/admin/parties/${id}`, 'resent'));
  });
  r.post('/parties/:id/webhook', (req, res) => {
    const id = idOf(req);
    portal.setWebhook(id, str((req.body as Record<string, unknown>).webhookUrl) || null);
    res.redirect(303, PARTIES_BANNERS.href(`/admin/parties/${id}`, 'webhook_saved'));
  });
  return r;
}

/** /admin/api/parties: list, invite (JSON), one party. */
export function partiesApi(portal: PortalService): express.Router {
  const r = express.Router();
  r.get('/parties', (_req, res) => {
    res.json({ kinds: PARTY_KINDS, parties: portal.list() });
  });
  r.post('/parties', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const out = portal.invite({ email: str(b.email), kind: str(b.kind), displayName: str(b.displayName), webhookUrl: str(b.webhookUrl) || null }, by(req));
    res.status(201).json(out);
  });
  r.get('/parties/:id', (req, res) => {
    const p = portal.get(String(req.params.id));
    if (!p) throw portalErrors.party_not_found(`no party "${String(req.params.id)}"`);
    res.json({ party: p, invitations: portal.invitations(p.id) });
  });
  return r;
}
