import { stringify } from 'csv-stringify';
import { spreadsheetSafe } from '../web/csv.js';
import express, { type Request, type Response } from 'express';
import { decodeEntry, entryLeaf } from '../logchain/entry.js';
import { verifyInclusion } from '../logchain/merkle.js';
import type { StoredEntry } from '../store/log-store.js';
import { parseBrowseQuery, type BrowseQuery } from './entry-filter.js';
import { logBrowserErrors } from './errors.js';
import type { LogSource, LogSources } from './log-source.js';

/** Rows read per query while a CSV export streams: each read is short, and the response's backpressure paces the next. */
const CSV_CHUNK = 1000;

export const CSV_COLUMNS = [
  'index',
  'time',
  'site',
  'type',
  'kind',
  'path',
  'status',
  'bytes',
  'release',
  'user',
  'session',
  'client',
  'ua',
  'order_id',
  'order_amount',
  'order_currency',
  'leaf',
] as const;

/** A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: paths and user ids come from visitors. */

function csvRow(e: StoredEntry): (string | number | null)[] {
  const f = decodeEntry(e.line);
  // A line that does not decode is still listed, by index and leaf, never dropped.
  if (!f) return [e.index, ...CSV_COLUMNS.slice(1, -1).map(() => null), e.leaf.toString('hex')];
  return [
    f.index,
    f.time,
    f.site,
    f.type,
    f.kind,
    f.path,
    f.status,
    f.bytes,
    f.release,
    f.user,
    f.session,
    f.client,
    f.ua,
    f.order?.id ?? null,
    f.order?.amount ?? null,
    f.order?.currency ?? null,
    e.leaf.toString('hex'),
  ];
}

function sourceOf(sources: LogSources, site: string | undefined, field: 'site' | 'params'): LogSource {
  const want = site ?? sources.own;
  const s = sources.list().find((x) => x.site === want);
  if (s) return s;
  const known = sources.list().map((x) => x.site);
  if (field === 'params') throw logBrowserErrors.entry_not_found(`no log of site "${want}" in this console`);
  throw logBrowserErrors.bad_filter(known.length === 1 ? `site: this console shows only this site's own log (${sources.own})` : `site: no log of site "${want}" here; logs: ${known.join(', ')}`, {
    field: 'site',
  });
}

/** One page, newest first, and the cursors of the pages either side (null where there is none). */
export function browsePage(source: LogSource, q: BrowseQuery): { entries: StoredEntry[]; older: number | null; newer: number | null } {
  const rows = source.browse(q.filter, { ...(q.before !== undefined ? { before: q.before } : {}), ...(q.after !== undefined ? { after: q.after } : {}), limit: q.limit + 1 });
  // One row more than the page says whether there is more in the direction read.
  const more = rows.length > q.limit;
  if (q.after !== undefined) {
    const entries = more ? rows.slice(1) : rows;
    // Came from an older page: the entry at the cursor matched, so there is an older page.
    return { entries, older: entries.length ? entries[entries.length - 1]!.index : q.after + 1, newer: more ? entries[0]!.index : null };
  }
  const entries = more ? rows.slice(0, q.limit) : rows;
  return { entries, older: more ? entries[entries.length - 1]!.index : null, newer: q.before !== undefined && entries.length ? entries[0]!.index : null };
}

const link = (base: string, params: Record<string, string>, extra: Record<string, string> = {}) => {
  const qs = new URLSearchParams({ ...params, ...extra }).toString();
  return qs ? `${base}?${qs}` : base;
};

function indexParam(req: Request): number {
  const raw = String(req.params.index);
  if (!/^\d{1,15}$/.test(raw)) throw logBrowserErrors.bad_filter(`index: ${JSON.stringify(raw)} is not an entry index`, { field: 'index' });
  return Number(raw);
}

/** The detail of one entry: its line, its leaf, and its inclusion proof against the latest signed checkpoint (null while none covers it). */
export function entryDetail(source: LogSource, index: number) {
  const e = source.entry(index);
  if (!e) throw logBrowserErrors.entry_not_found(`entry ${index} is not in the stored log of ${source.site}`);
  const cp = source.latestCheckpoint();
  const covered = cp !== undefined && index < cp.size;
  const proof = covered ? source.inclusionProof(index, cp.size) : null;
  return {
    source: { site: source.site, label: source.label },
    index,
    line: e.line,
    leaf: e.leaf.toString('hex'),
    leafMatchesLine: entryLeaf(e.line).equals(e.leaf),
    fields: decodeEntry(e.line),
    checkpoint: cp ? { size: cp.size, root: cp.root.toString('hex'), time: cp.time, note: cp.note, cosignature: cp.cosignature, witness: cp.witness } : null,
    proof: proof?.map((h) => h.toString('hex')) ?? null,
    // Checked here too, so the page says at once if the stored tree and the checkpoint disagree.
    proofVerifies: proof && cp ? verifyInclusion(e.leaf, index, cp.size, proof, cp.root) : null,
  };
}

/** proof.json: the shape `tieup audit verify-proof` checks (as `tieup audit prove` writes it), plus the line and the signed checkpoint. */
export function proofFile(d: ReturnType<typeof entryDetail>) {
  if (!d.checkpoint || !d.proof)
    throw logBrowserErrors.entry_not_found(`entry ${d.index} is not covered by a signed checkpoint yet (latest size ${d.checkpoint?.size ?? 0}); the next one is signed within seconds`);
  return {
    type: 'inclusion',
    site: d.source.site,
    index: d.index,
    size: d.checkpoint.size,
    leaf: d.leaf,
    root: d.checkpoint.root,
    signedCheckpoint: true,
    proof: d.proof,
    line: d.line,
    checkpoint: d.checkpoint.note,
    cosignature: d.checkpoint.cosignature,
  };
}

/**
 * The log browser pages, mounted in a console under `<base>/logs/entries`:
 * the filtered list (keyset pages, newest first), its CSV export, and an
 * entry's detail with its inclusion proof. Which logs exist is the site's
 * business (`sources`); filters, pages and proofs are the same on both sites.
 */
export function logBrowserPages(sources: LogSources): express.Router {
  const r = express.Router();

  r.get('/logs/entries', (req: Request, res: Response) => {
    const base = `${String(res.locals.basePath)}/logs/entries`;
    let q: BrowseQuery;
    let source: LogSource;
    try {
      q = parseBrowseQuery(req.query);
      source = sourceOf(sources, q.site, 'site');
    } catch (err) {
      // A browser gets the form back with the refusal; an API client (Accept: JSON) the error body.
      if (!logBrowserErrors.bad_filter.is(err) || req.accepts(['html', 'json']) === 'json') throw err;
      res
        .status(400)
        .render('log-entries', { title: 'Log entries', base, sources: sources.list(), own: sources.own, params: stringParams(req.query), error: { code: err.code, message: err.message }, page: null });
      return;
    }
    const page = browsePage(source, q);
    res.render('log-entries', {
      title: 'Log entries',
      base,
      sources: sources.list(),
      own: sources.own,
      params: q.params,
      error: null,
      source: { site: source.site, label: source.label },
      page: {
        entries: page.entries.map((e) => ({ index: e.index, fields: decodeEntry(e.line) })),
        olderHref: page.older !== null ? link(base, q.params, { before: String(page.older) }) : null,
        newerHref: page.newer !== null ? link(base, q.params, { after: String(page.newer) }) : null,
        newestHref: q.before !== undefined || q.after !== undefined ? link(base, q.params) : null,
        csvHref: link(`${base}.csv`, q.params),
        detailBase: `${base}/${encodeURIComponent(source.site)}`,
      },
    });
  });

  r.get('/logs/entries.csv', async (req: Request, res: Response) => {
    const q = parseBrowseQuery(req.query);
    if (q.before !== undefined || q.after !== undefined)
      throw logBrowserErrors.bad_filter('before: the export is the whole filtered list; it takes no cursor', { field: q.before !== undefined ? 'before' : 'after' });
    const source = sourceOf(sources, q.site, 'site');
    const csv = stringify({ header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows', cast: { string: spreadsheetSafe } });
    const name = ['log', source.site, q.params.type, q.params.kind, q.params.status].filter(Boolean).join('-');
    res.type('text/csv').set('Content-Disposition', `attachment; filename="${name}.csv"`);
    csv.pipe(res);
    // Newest first, in chunks from one keyset cursor: entries appended while it runs are above the first chunk, never in it.
    // A reader that goes away ends the wait too, so an abandoned export does not hang on a drain that never comes.
    const drained = () =>
      new Promise<void>((ok) => {
        const done = () => {
          csv.off('drain', done);
          res.off('close', done);
          ok();
        };
        csv.once('drain', done);
        res.once('close', done);
      });
    let before: number | undefined;
    for (;;) {
      const rows = source.browse(q.filter, { ...(before !== undefined ? { before } : {}), limit: CSV_CHUNK });
      for (const row of rows) {
        if (!csv.write(csvRow(row))) await drained();
        if (res.destroyed) break;
      }
      if (rows.length < CSV_CHUNK || res.destroyed) break;
      before = rows[rows.length - 1]!.index;
    }
    csv.end();
  });

  r.get('/logs/entries/:site/:index', (req: Request, res: Response) => {
    const source = sourceOf(sources, String(req.params.site), 'params');
    const d = entryDetail(source, indexParam(req));
    const base = `${String(res.locals.basePath)}/logs/entries`;
    res.render('log-entry', { title: `Log entry ${d.index} of ${d.source.site}`, base, d, proofHref: `${base}/${encodeURIComponent(d.source.site)}/${d.index}/proof.json` });
  });

  r.get('/logs/entries/:site/:index/proof.json', (req: Request, res: Response) => {
    const source = sourceOf(sources, String(req.params.site), 'params');
    const file = proofFile(entryDetail(source, indexParam(req)));
    res
      .set('Content-Disposition', `attachment; filename="proof-${file.site}-${file.index}.json"`)
      .type('application/json')
      .send(`${JSON.stringify(file, null, 2)}\n`);
  });

  return r;
}

/**
 * The same list and proofs as JSON for scripts, in the console API (bearer
 * token, under `<base>/api`): `GET /logs/entries` with the page's filters and
 * cursors, and `GET /logs/entries/<site>/<index>` answering proof.json.
 */
export function logBrowserApi(sources: LogSources): express.Router {
  const r = express.Router();
  r.get('/logs/entries', (req: Request, res: Response) => {
    const q = parseBrowseQuery(req.query);
    const source = sourceOf(sources, q.site, 'site');
    const page = browsePage(source, q);
    res.json({
      site: source.site,
      filter: q.params,
      entries: page.entries.map((e) => ({ index: e.index, leaf: e.leaf.toString('hex'), line: e.line })),
      older: page.older !== null ? { before: page.older } : null,
      newer: page.newer !== null ? { after: page.newer } : null,
    });
  });
  r.get('/logs/entries/:site/:index', (req: Request, res: Response) => {
    res.json(proofFile(entryDetail(sourceOf(sources, String(req.params.site), 'params'), indexParam(req))));
  });
  return r;
}

/** The query as typed, for the form shown again with a refusal (strings only; anything else is dropped). */
function stringParams(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}
