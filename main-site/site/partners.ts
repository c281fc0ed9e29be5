import { z } from 'zod';
import type { Peer } from '../../common/store/peer-store.js';
import type { SiteContext } from '../../common/site/context.js';
import { SITE_ID_RE } from '../../common/site/enrolment.js';
import { siteErrors } from './errors.js';

/**
 * What the partners API and the partners console pages both do, so a change
 * made from a form is the very change the JSON API makes: the same checks,
 * the same stored form, the same log line.
 */

export function partnerOr404(ctx: SiteContext, id: string): Peer {
  const p = ctx.peers.get(id);
  if (!p || p.role !== 'partner') throw siteErrors.partner_not_found(`no partner "${id}"`);
  return p;
}

/**
 * Writes contract slices through the site's terms (each given slice replaces
 * that slice wholesale, stamped with its version; the rest stays as stored).
 * Throws 400 invalid_contract, naming every problem, before anything is written.
 */
export function writeContract(ctx: SiteContext, p: Peer, given: unknown, by: string): void {
  const contract = ctx.terms.patch(p.contract, given);
  ctx.peers.setContract(p.id, contract);
  ctx.logger.info({ event: 'contract_written', peer: p.id, slices: Object.keys(given as object), by }, `contract terms of ${p.id} written`);
}

/** Removes a partner's enrolment: its record, contract terms and pinned keys (what it shipped before stays). */
export function removePartner(ctx: SiteContext, p: Peer, by: string): void {
  ctx.peers.remove(p.id);
  ctx.logger.info({ event: 'peer_removed', peer: p.id, by }, `partner ${p.id} removed`);
}

/**
 * The filters of the partners list and its CSV (query string): status, a
 * contract slice the partner has (`slice`, one of the site's slice keys), and
 * text in its id or name (`q`). Empty means "any".
 */
export function partnerFilterSchema(sliceKeys: readonly string[]) {
  return z.strictObject({
    status: z.enum(['', 'active', 'suspended'], 'status must be "active" or "suspended"').optional(),
    slice: z.enum(['', ...sliceKeys], `slice must be one of the contract slices of this site: ${sliceKeys.join(', ')}`).optional(),
    q: z.string('q (text in id or name) must be given once').max(100, 'q (text in id or name) must be at most 100 characters').optional(),
  });
}
export type PartnerFilter = z.output<ReturnType<typeof partnerFilterSchema>>;

export function filterPartners(peers: readonly Peer[], f: PartnerFilter): Peer[] {
  const q = (f.q ?? '').trim().toLowerCase();
  return peers.filter(
    (p) =>
      p.role === 'partner' && (!f.status || p.status === f.status) && (!f.slice || p.contract[f.slice] !== undefined) && (!q || p.id.includes(q) || (p.displayName ?? '').toLowerCase().includes(q)),
  );
}

export { SITE_ID_RE };
