import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../common/web/csv.js';
import express, { type Request, type Response } from 'express';
import { AppError, groundErrors, publicError } from '../../common/errors.js';
import type { ModuleHost } from '../../common/module.js';
import { parseStoredSlice, type TermsSlice } from '../../common/contract/terms.js';
import { describePeer, enrolPeer, previewEnrolment, type KeyToPin } from '../../common/site/enrolment.js';
import { setPeerStatus } from '../../common/site/console-routes.js';
import type { Peer } from '../../common/store/peer-store.js';
import { defineBanners } from '../../common/web/banners.js';
import { confirmFirst } from '../../common/web/confirm.js';
import { fieldOfProblem, formFields, formProblems, formValues, postedValues, valueFromForm, type FormField } from '../../common/web/schema-form.js';
import { filterPartners, partnerFilterSchema, partnerOr404, removePartner, writeContract, type PartnerFilter } from './partners.js';

const SLICE = /^[a-z][a-zA-Z0-9]{0,31}$/;

/** What /admin/partners and a partner's page can say after a redirect. */
export const PARTNERS_BANNERS = defineBanners('main partners', {
  enrolled: { text: 'Partner {partner} enrolled; its key is pinned. Set its contract terms below.', params: { partner: 'site' } },
  contract_saved: { text: 'The {slice} terms are saved.', params: { slice: SLICE } },
  suspended: { text: 'The partner is suspended: every call it makes is refused until it is activated.' },
  activated: { text: 'The partner is active again.' },
  removed: { text: 'Partner {partner} removed.', params: { partner: 'site' } },
});

/** The enrolment form's fields, in the order the form shows them. */
const ENROL_FIELDS = ['id', 'name', 'baseUrl', 'thumbprint', 'jwksUrl'] as const;
type EnrolField = (typeof ENROL_FIELDS)[number];
type EnrolForm = Record<EnrolField, string>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const by = (req: Request): string => req.consoleUser?.username ?? '?';
const enrolFormOf = (body: Record<string, unknown>): EnrolForm => Object.fromEntries(ENROL_FIELDS.map((k) => [k, str(body[k]).trim()])) as EnrolForm;
/** The enrolment input the JSON API would take: empty fields are not given. */
const enrolInput = (f: EnrolForm): Record<string, string> => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''));

/**
 * Which field of the enrolment form an error belongs to: a schema problem by
 * its path ("baseUrl: ..."), the others by code; what belongs to no field is
 * shown above the form.
 */
function enrolErrors(err: AppError, form: EnrolForm): { fields: Partial<Record<EnrolField, string>>; general: string | null } {
  const fields: Partial<Record<EnrolField, string>> = {};
  const problems = Array.isArray(err.details?.problems) ? (err.details.problems as unknown[]).filter((p): p is string => typeof p === 'string') : [];
  if (err.code === 'invalid_request' && problems.length) {
    let general: string | null = null;
    for (const p of problems) {
      const i = p.indexOf(': ');
      const path = p.slice(0, i);
      const message = p.slice(i + 2);
      // The "either a thumbprint or a JWKS URL" rule has no single field: it is shown at the thumbprint.
      const field: EnrolField | undefined = path === 'body' ? 'thumbprint' : (ENROL_FIELDS as readonly string[]).includes(path) ? (path as EnrolField) : undefined;
      if (field) fields[field] ??= message;
      else general ??= p;
    }
    return { fields, general };
  }
  const byCode: Record<string, EnrolField> = {
    peer_exists: 'id',
    thumbprint_mismatch: 'thumbprint',
    peer_unreachable: form.jwksUrl ? 'jwksUrl' : 'baseUrl',
    invalid_key: form.jwksUrl ? 'jwksUrl' : 'baseUrl',
  };
  const field = byCode[err.code];
  return field ? { fields: { [field]: err.message }, general: null } : { fields, general: err.message };
}

interface SliceView {
  key: string;
  version: number;
  whenAbsent: string;
  /** "stored" (readable, version v), "absent", or "unreadable" with problems. */
  state: 'stored' | 'absent' | 'unreadable';
  storedVersion: number | null;
  problems: string[];
  fields: FormField[];
  values: Record<string, string>;
  errors: Record<string, string>;
  general: string[];
}

const fieldsCache = new WeakMap<TermsSlice, FormField[]>();
const fieldsOf = (slice: TermsSlice): FormField[] => {
  let f = fieldsCache.get(slice);
  if (!f) fieldsCache.set(slice, (f = formFields(slice.schema)));
  return f;
};

/** A slice's card: its state, and its form filled with the stored terms (the defaults when absent, the raw fields when unreadable). */
function sliceView(slice: TermsSlice, p: Peer): SliceView {
  const fields = fieldsOf(slice);
  const raw = p.contract[slice.key];
  const base = { key: slice.key, version: slice.version, whenAbsent: slice.whenAbsent, fields, errors: {}, general: [] };
  if (raw === undefined) {
    const defaults = slice.schema.safeParse({});
    return { ...base, state: 'absent', storedVersion: null, problems: [], values: formValues(fields, defaults.success ? defaults.data : {}) };
  }
  const r = parseStoredSlice(slice, raw);
  const storedVersion = raw !== null && typeof raw === 'object' && typeof (raw as { v?: unknown }).v === 'number' ? (raw as { v: number }).v : null;
  return r.ok
    ? { ...base, state: 'stored', storedVersion, problems: [], values: formValues(fields, r.terms) }
    : { ...base, state: 'unreadable', storedVersion, problems: r.problems, values: formValues(fields, raw) };
}

const partnerRow = (ctx: ModuleHost['ctx'], p: Peer) => {
  const d = describePeer(ctx, p);
  return { ...d, slices: Object.keys(p.contract).filter((k) => ctx.terms.slice(k) !== undefined) };
};

/**
 * /admin/partners: the partners list (filters, CSV), enrolment from a form
 * with a confirmation step that shows the key to pin, each partner's contract
 * terms as forms generated from the slices' schemas, and suspend / activate /
 * remove behind a confirmation page. Every change goes through the same code
 * as the JSON API (common/site/enrolment.ts, ./partners.ts).
 */
export function partnersPages(host: ModuleHost): express.Router {
  const { ctx } = host;
  const r = express.Router();
  const sliceKeys = () => ctx.terms.slices.map((s) => s.key);
  const changed = () => host.peersChanged();

  const readFilter = (req: Request): { filter: PartnerFilter; problem: string | null } => {
    // A banner's parameters ride in the same query (?done=removed&partner=south): they are not filters.
    const { done: _d, error: _e, partner: _p, ...query } = req.query;
    const f = partnerFilterSchema(sliceKeys()).safeParse(query);
    if (f.success) return { filter: f.data, problem: null };
    const i = f.error.issues[0]!;
    const key = i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.');
    // Each filter's message names it ("status must be ...").
    return { filter: {}, problem: i.code === 'unrecognized_keys' ? `unknown filter: ${key} (filters are status, slice and q)` : i.message };
  };

  const listPage = (req: Request, res: Response, o: { status?: number; enrol?: { values: EnrolForm; errors: Partial<Record<EnrolField, string>>; general: string | null } } = {}) => {
    const { filter, problem } = readFilter(req);
    const partners = problem ? [] : filterPartners(ctx.peers.list(), filter).map((p) => partnerRow(ctx, p));
    res.status(problem ? 400 : (o.status ?? 200)).render('main-partners', {
      title: 'Partners',
      partners,
      total: ctx.peers.list().filter((p) => p.role === 'partner').length,
      filter: { status: filter.status ?? '', slice: filter.slice ?? '', q: filter.q ?? '' },
      filterProblem: problem,
      csvHref: `/admin/partners.csv${req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''}`,
      sliceKeys: sliceKeys(),
      enrol: o.enrol ?? { values: Object.fromEntries(ENROL_FIELDS.map((k) => [k, ''])), errors: {}, general: null },
      banner: PARTNERS_BANNERS.read(req.query),
    });
  };

  r.get('/partners', (req, res) => listPage(req, res));

  r.get('/partners.csv', (req, res) => {
    const { filter, problem } = readFilter(req);
    if (problem) {
      res.status(400).type('text/plain').send(`${problem}\n`);
      return;
    }
    const keys = sliceKeys();
    const rows = filterPartners(ctx.peers.list(), filter).map((p) => {
      const d = describePeer(ctx, p);
      return [
        p.id,
        p.displayName ?? '',
        p.baseUrl,
        p.status,
        ...keys.map((k) => {
          const stored = p.contract[k];
          const v = stored !== null && typeof stored === 'object' ? (stored as { v?: unknown }).v : undefined;
          return stored === undefined ? '' : typeof v === 'number' ? `v${v}` : 'v?';
        }),
        d.contractProblems.join('; '),
        d.keys
          .filter((k) => !k.validUntil)
          .map((k) => k.thumbprint)
          .join(' '),
        p.createdAt,
        p.updatedAt,
      ];
    });
    const csv = stringify([['id', 'name', 'base_url', 'status', ...keys.map((k) => `terms_${k}`), 'contract_problems', 'current_key_thumbprints', 'enrolled_at', 'updated_at'], ...rows], {
      record_delimiter: 'windows',
      // Names come from operators' forms: a cell a spreadsheet would run as a formula gets a leading apostrophe.
      cast: { string: spreadsheetSafe },
    });
    const name = ['partners', filter.status, filter.slice].filter(Boolean).join('-');
    res.type('text/csv').set('Content-Disposition', `attachment; filename="${name}.csv"`).send(csv);
  });

  /**
   * Enrolment in two posts. The first (no `confirmed`) checks the form as the
   * API would, fetches the key(s) it names and shows them; nothing is written.
   * The second ("Confirm and pin this key") carries the shown key and its
   * thumbprint and enrols through the API's own path, which recomputes the
   * thumbprint, so the key pinned is the key the operator saw. `edit` goes
   * back to the form with the values kept.
   */
  r.post('/partners/enrol', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = enrolFormOf(body);
    const refuse = (err: unknown) => {
      if (!(err instanceof AppError) || publicError(err).internal) throw err;
      const e = enrolErrors(err, form);
      listPage(req, res, { status: err.status, enrol: { values: form, errors: e.fields, general: e.general } });
    };
    if (body.edit === 'yes') return listPage(req, res, { enrol: { values: form, errors: {}, general: null } });
    if (body.confirmed !== 'yes') {
      let keys: KeyToPin[];
      try {
        keys = (await previewEnrolment(ctx, 'partner', enrolInput(form))).keys;
      } catch (err) {
        return refuse(err);
      }
      res.render('main-partner-enrol-confirm', {
        title: `Enrol ${form.id}?`,
        form,
        keys: keys.map((k) => ({ ...k, jwkText: JSON.stringify(k.publicJwk) })),
        source: form.jwksUrl || `${form.baseUrl.replace(/\/+$/, '')}/.well-known/jwks.json`,
      });
      return;
    }
    let jwk: unknown;
    try {
      jwk = JSON.parse(str(body.jwk));
    } catch {
      return listPage(req, res, { status: 400, enrol: { values: form, errors: {}, general: 'the key to pin was not sent; start again' } });
    }
    try {
      const { jwksUrl: _fetchedFrom, ...rest } = enrolInput(form);
      const peer = await enrolPeer(ctx, 'partner', { ...rest, keys: [jwk], thumbprint: str(body.pin) });
      changed();
      res.redirect(303, PARTNERS_BANNERS.href(`/admin/partners/${peer.id}`, 'enrolled', { partner: peer.id }));
    } catch (err) {
      refuse(err);
    }
  });

  const partnerOf = (req: Request) => partnerOr404(ctx, String(req.params.id));
  const detailPage = (req: Request, res: Response, p: Peer, o: { status?: number; slice?: SliceView } = {}) => {
    res.status(o.status ?? 200).render('main-partner', {
      title: `Partner ${p.id}`,
      p: { ...describePeer(ctx, p), ...host.describePeer(p.id) },
      slices: ctx.terms.slices.map((s) => (o.slice?.key === s.key ? o.slice : sliceView(s, p))),
      unowned: Object.keys(p.contract).filter((k) => !ctx.terms.slice(k)),
      banner: PARTNERS_BANNERS.read(req.query),
    });
  };

  r.get('/partners/:id', (req, res) => detailPage(req, res, partnerOf(req)));

  /**
   * One slice's form: the posted text becomes the object the API's PATCH
   * would carry for that slice, written by the same code (the slice replaced
   * wholesale, stamped with its version). A refused value re-renders the page
   * with the schema's message beside its field and the text as typed; nothing
   * is written.
   */
  r.post('/partners/:id/contract/:slice', (req, res) => {
    const p = partnerOf(req);
    const slice = ctx.terms.slice(String(req.params.slice));
    if (!slice) throw groundErrors.not_found(`this site has no contract slice "${String(req.params.slice)}" (slices: ${sliceKeys().join(', ')})`);
    const fields = fieldsOf(slice);
    const posted = postedValues(fields, (req.body ?? {}) as Record<string, unknown>);
    const { value, problems } = valueFromForm(fields, posted);
    const refused = (errors: Record<string, string>, general: string[]) => detailPage(req, res, p, { status: 400, slice: { ...sliceView(slice, p), values: posted, errors, general } });
    if (Object.keys(problems).length) return refused(problems, []);
    // The slice's own schema (the API's) judges the value; its verdict is told in words beside each field.
    const judged = formProblems(fields, slice.schema, value);
    if (judged) return refused(judged.errors, judged.general);
    try {
      writeContract(ctx, p, { [slice.key]: value }, by(req));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invalid_contract') throw err;
      const errors: Record<string, string> = {};
      const general: string[] = [];
      const prefix = `contract.${slice.key}`;
      for (const line of (err.details?.problems as string[] | undefined) ?? [err.message]) {
        const i = line.indexOf(': ');
        const path = line.slice(0, i).startsWith(prefix) ? line.slice(prefix.length, i).replace(/^\./, '') : '';
        const field = path ? fieldOfProblem(fields, path) : null;
        if (field) errors[field] ??= line.slice(i + 2);
        else general.push(line);
      }
      return refused(errors, general);
    }
    changed();
    res.redirect(303, PARTNERS_BANNERS.href(`/admin/partners/${p.id}`, 'contract_saved', { slice: slice.key }));
  });

  const back = (req: Request) => `/admin/partners/${String(req.params.id)}`;
  r.post(
    '/partners/:id/suspend',
    confirmFirst((req) => ({
      title: `Suspend ${String(req.params.id)}?`,
      consequence: `${String(req.params.id)} is cut off at once: every call it makes to this site is refused, and pushes, log shipping and orders with it stop until it is activated again.`,
      confirmLabel: `Suspend ${String(req.params.id)}`,
      back: back(req),
    })),
    (req, res) => {
      const p = partnerOf(req);
      setPeerStatus(ctx, p.id, 'suspended', by(req));
      changed();
      res.redirect(303, PARTNERS_BANNERS.href(`/admin/partners/${p.id}`, 'suspended'));
    },
  );
  r.post(
    '/partners/:id/activate',
    confirmFirst((req) => ({
      title: `Activate ${String(req.params.id)}?`,
      consequence: `${String(req.params.id)} may call this site again at once, with its pinned key, and scheduled pushes, log shipping and orders with it resume under its stored contract terms.`,
      confirmLabel: `Activate ${String(req.params.id)}`,
      back: back(req),
    })),
    (req, res) => {
      const p = partnerOf(req);
      setPeerStatus(ctx, p.id, 'active', by(req));
      changed();
      res.redirect(303, PARTNERS_BANNERS.href(`/admin/partners/${p.id}`, 'activated'));
    },
  );
  r.post(
    '/partners/:id/remove',
    confirmFirst((req) => ({
      title: `Remove ${String(req.params.id)}?`,
      consequence: `This deletes ${String(req.params.id)}'s enrolment: its base URL and name, its contract terms (every slice) and every key pinned for it. It is refused at once and nothing more is pushed to it. Logs, statements and orders it already has here stay. This cannot be undone: to work with it again it must be enrolled anew, with its key checked again.`,
      confirmLabel: `Remove ${String(req.params.id)} for good`,
      back: back(req),
    })),
    (req, res) => {
      const p = partnerOf(req);
      removePartner(ctx, p, by(req));
      changed();
      res.redirect(303, PARTNERS_BANNERS.href('/admin/partners', 'removed', { partner: p.id }));
    },
  );
  return r;
}
