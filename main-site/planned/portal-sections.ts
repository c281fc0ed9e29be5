import type express from 'express';
import type { Request, Response } from 'express';
import { publicError } from '../../common/errors.js';
import { formatMoney } from '../../common/money.js';
import { contributorPayText } from '../../common/planned/shares/index.js';
import { inertHeaders, LAYOUT_LABELS, LAYOUTS, FORMAT_LABELS, FORMATS, pageUrl, ALLOWED_EXTENSIONS } from '../../common/planned/index.js';
import type { ContentView } from '../../common/render/content-view.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import type { Party, PortalSection, SectionTools } from '../portal/index.js';
import { formFromSpec, specFromForm } from './form-spec.js';
import { periodOf, type PlannedService, type Totals } from './planned-service.js';
import type { Contribution, PlannedPage } from './planned-store.js';

/** Shares lines a party's portal shows (from the shares module), as HTML already escaped; empty when there is nothing. */
export type SharesPanel = (party: Party, period: string) => string;

const body = (req: Request): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const show = (res: Response, title: string, html: string, status = 200) => res.status(status).render('planned-portal', { title, body: html });
const errorText = (err: unknown) => publicError(err).body.error.message;
const csrf = (res: Response) => `<input type="hidden" name="_csrf" value="${esc(String(res.locals.csrfToken))}">`;
const when = (t: string | null) => (t ? `<time datetime="${esc(t)}">${esc(t.slice(0, 16).replace('T', ' '))} UTC</time>` : '');
const periodParam = (req: Request) => (typeof req.query.period === 'string' && /^\d{4}-\d{2}$/.test(req.query.period) ? req.query.period : periodOf(new Date()));

function totalsTable(t: Totals, role: 'planner' | 'contributor'): string {
  if (!t.lines.length) return `<p>No sales, views or downloads in ${esc(t.period)} yet.</p>`;
  const rows = t.lines
    .map(
      (l) =>
        `<tr data-page="${esc(l.page)}"${l.contribution ? ` data-contribution="${esc(l.contribution)}"` : ''}><td>${esc(l.pageTitle)}</td>${role === 'contributor' ? `<td>${esc(l.contributionTitle ?? '')}</td>` : ''}<td class="num" data-sales>${l.sales}</td><td class="num">${l.refunds}</td>${
          role === 'planner' ? `<td class="num">${esc(formatMoney({ amount: l.amount, currency: l.currency }))}</td>` : ''
        }<td class="num" data-views>${l.views}</td><td class="num" data-downloads>${l.downloads}</td></tr>`,
    )
    .join('');
  return (
    `<table class="planned-totals"><thead><tr><th>Page</th>${role === 'contributor' ? '<th>Contribution</th>' : ''}<th class="num">Sales</th><th class="num">Refunds</th>${role === 'planner' ? '<th class="num">Sold</th>' : ''}<th class="num">Views</th><th class="num">Downloads</th></tr></thead><tbody>${rows}</tbody></table>` +
    // Said on the page because a shopper's first view comes without a click: the account shows the content right after buying.
    `<p class="muted" data-counting>A view is each time a buyer's account showed the bought content (once right after buying, then once per visit); a download is each PDF, Markdown or attached file a buyer took.</p>` +
    `<p class="muted">Counted from the main site's signed log up to checkpoint ${t.checkpoint?.size ?? 0}${t.checkpoint ? ` (${esc(t.checkpoint.time)}, root <code>${esc(t.checkpoint.root.slice(0, 16))}</code>…)` : ''}.</p>`
  );
}

function periodForm(period: string): string {
  return `<form method="get" class="inline"><label>Period <input name="period" value="${esc(period)}" pattern="\\d{4}-\\d{2}" size="8"></label> <button type="submit">Show</button></form>`;
}

function contributionView(c: Contribution, fileHref: string): string {
  const file = c.file
    ? c.file.inline
      ? `<p><img src="${esc(fileHref)}" alt="${esc(c.title)}" style="max-width:100%"></p>`
      : `<p><a href="${esc(fileHref)}" download>Download ${esc(c.file.name)}</a> (${c.file.size} bytes; served as a download, never opened here)</p>`
    : '';
  return `<section class="card" data-contribution="${esc(c.id)}"><h2>${esc(c.title)}</h2><p><em>${esc(c.teaser)}</em></p><p>State: <strong data-state>${esc(c.state)}</strong>${c.reason ? `, reason: ${esc(c.reason)}` : ''}</p>${
    c.body
      ? `<div class="contribution-body">${esc(c.body)
          .split(/\n{2,}/)
          .map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`)
          .join('')}</div>`
      : ''
  }${file}</section>`;
}

/** Serves a contribution's file to a party that may read it, inert. */
function sendFile(res: Response, c: Contribution, data: Buffer | undefined) {
  if (!c.file || !data) return show(res, 'Not found', '<h1>Not found</h1><p>There is no such file.</p>', 404);
  res.set(inertHeaders(c.file.name, c.file.mediaType, c.file.inline)).send(data);
}

function assistantForm(res: Response, action: string, values: ReturnType<typeof formFromSpec> | null, error: string | null, submit: string): string {
  const v = values ?? { layout: 'article', title: '', description: '', sections: '', currency: 'EUR', contributionPrice: '', pagePrice: '', formats: ['html', 'pdf', 'markdown'] };
  return (
    `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}<form method="post" action="${esc(action)}" class="planned-assistant">${csrf(res)}` +
    `<fieldset><legend>1. Layout (inside the main brand's page frame)</legend>${LAYOUTS.map(
      (l) => `<label><input type="radio" name="layout" value="${l}"${v.layout === l ? ' checked' : ''}> ${esc(LAYOUT_LABELS[l])}</label><br>`,
    ).join('')}</fieldset>` +
    `<fieldset><legend>2. Title and description</legend><label>Title <input name="title" required maxlength="120" value="${esc(v.title)}"></label><br>` +
    `<label>Description<br><textarea name="description" rows="4" cols="60" required>${esc(v.description)}</textarea></label></fieldset>` +
    `<fieldset><legend>3. Sections</legend><label>One per line, "Heading: what contributors should write"<br><textarea name="sections" rows="5" cols="60" required>${esc(v.sections)}</textarea></label></fieldset>` +
    `<fieldset><legend>4. Prices (leave one empty to not sell that way)</legend><label>Currency <select name="currency">${['EUR', 'USD', 'GBP', 'JPY']
      .map((c) => `<option${v.currency === c ? ' selected' : ''}>${c}</option>`)
      .join('')}</select></label> ` +
    `<label>Per contribution <input name="contributionPrice" inputmode="decimal" size="8" value="${esc(v.contributionPrice)}"></label> ` +
    `<label>Whole page <input name="pagePrice" inputmode="decimal" size="8" value="${esc(v.pagePrice)}"></label></fieldset>` +
    `<fieldset><legend>5. Formats buyers can take</legend>${FORMATS.map(
      (f) => `<label><input type="checkbox" name="formats" value="${f}"${v.formats.includes(f) ? ' checked' : ''}> ${esc(FORMAT_LABELS[f])}</label> `,
    ).join('')}</fieldset>` +
    `<button type="submit">${esc(submit)}</button></form>`
  );
}

/** The planner's section: the page-making assistant, preview and opening, contributors, the moderation queue, totals and shares. */
export function plannerSection(planned: PlannedService, shares: SharesPanel, view: () => ContentView): PortalSection {
  return {
    id: 'planning',
    title: 'Planned pages',
    kinds: ['planner'],
    mount(r: express.Router, tools: SectionTools) {
      const party = (req: Request) => tools.party(req);
      const pageOf = (req: Request, res: Response): PlannedPage | undefined => {
        const p = planned.page(String(req.params.id));
        if (!p || p.planner !== party(req).id) {
          show(res, 'Not found', '<h1>Not found</h1><p>There is no such page among yours.</p>', 404);
          return undefined;
        }
        return p;
      };

      r.get('/', (req, res) => {
        const me = party(req);
        const pages = planned.pagesOf(me.id);
        const queue = planned.queue(me.id);
        const planner = planned.planner(me.id);
        const contract = planned.contractAt(me.id);
        const rows = pages
          .map(
            (p) =>
              `<tr data-page="${esc(p.id)}"><td><a href="pages/${esc(p.id)}">${esc(p.spec.title)}</a></td><td data-state>${esc(p.state)}</td><td>${p.state === 'open' ? `<a href="${esc(pageUrl(p.id))}">${esc(pageUrl(p.id))}</a>` : ''}</td></tr>`,
          )
          .join('');
        show(
          res,
          'Planned pages',
          `<h1>Planned pages</h1>` +
            (planner ? `<p>Your home page: <a href="/planners/${esc(planner.slug)}">/planners/${esc(planner.slug)}</a></p>` : '') +
            (contract
              ? `<p>Contract version ${contract.version} in force since ${when(contract.effectiveFrom)}: planner share ${(contract.terms.plannerShareBps / 100).toFixed(2)}%, contributors get ${esc(contributorPayText(contract.terms.contributorPay, contract.terms.currency, 'they'))}.</p>`
              : '<p class="error">No contract in force yet: pages cannot be opened.</p>') +
            `<p><a class="button" href="new">Make a new page with the assistant</a> <a href="queue">Moderation queue (${queue.length})</a> <a href="totals">Use totals and shares</a></p>` +
            (rows ? `<table><thead><tr><th>Page</th><th>State</th><th>Address</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No pages yet.</p>'),
        );
      });

      r.get('/new', (_req, res) => show(res, 'New planned page', `<h1>New planned page</h1>${assistantForm(res, 'new', null, null, 'Preview the page')}`));
      r.post('/new', (req, res) => {
        const b = body(req);
        try {
          const p = planned.createPage(party(req).id, specFromForm(b));
          res.redirect(303, `pages/${p.id}`);
        } catch (err) {
          const values = {
            ...formFromSpec({
              layout: str(b.layout),
              title: str(b.title),
              description: str(b.description),
              sections: [],
              currency: str(b.currency),
              contributionPrice: null,
              pagePrice: null,
              formats: [],
            }),
            sections: str(b.sections),
            contributionPrice: str(b.contributionPrice),
            pagePrice: str(b.pagePrice),
          };
          show(res, 'New planned page', `<h1>New planned page</h1>${assistantForm(res, 'new', values, errorText(err), 'Preview the page')}`, 400);
        }
      });

      const pageView = (req: Request, res: Response, p: PlannedPage, error: string | null = null, status = 200) => {
        const { html } = planned.preview(party(req).id, p.id);
        const contributions = planned.contributionsOfPage(party(req).id, p.id);
        const list = contributions.map((c) => `<li data-contribution="${esc(c.id)}"><a href="../contributions/${esc(c.id)}">${esc(c.title)}</a> (${esc(c.state)})</li>`).join('');
        show(
          res,
          p.spec.title,
          `<h1>${esc(p.spec.title)} <small data-state>(${esc(p.state)})</small></h1>${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}` +
            `<section class="card"><h2>Preview</h2><p><a href="${esc(p.id)}/look" target="_blank" rel="noopener">See it in the site's look</a></p><div class="planned-preview" data-preview>${html}</div></section>` +
            (p.state === 'draft'
              ? `<section class="card"><h2>Open it</h2><p>Opening publishes the page in the next release: shoppers and contributors find it on the main site, and partners carry it as your contract allows.</p><form method="post" action="${esc(p.id)}/open">${csrf(res)}<button type="submit">Open the page</button></form></section>` +
                `<section class="card"><h2>Change it</h2>${assistantForm(res, p.id, formFromSpec(p.spec), null, 'Save and preview')}</section>`
              : p.state === 'open'
                ? `<p>Open at <a href="${esc(pageUrl(p.id))}">${esc(pageUrl(p.id))}</a>. <form method="post" action="${esc(p.id)}/close" class="inline">${csrf(res)}<button type="submit">Close the page</button></form></p>`
                : '') +
            `<section class="card"><h2>Invite a contributor</h2><form method="post" action="${esc(p.id)}/invite">${csrf(res)}<label>Name <input name="displayName" required maxlength="120"></label> <label>E-mail <input name="email" type="email" required></label> <button type="submit">Invite</button></form></section>` +
            `<section class="card"><h2>Contributions</h2>${list ? `<ul>${list}</ul>` : '<p>None yet.</p>'}</section>`,
          status,
        );
      };
      r.get('/pages/:id', (req, res) => {
        const p = pageOf(req, res);
        if (p) pageView(req, res, p);
      });
      // The preview in the brand's layout, as shoppers will see it (never cached: it is the planner's draft).
      r.get('/pages/:id/look', (req, res) => {
        const p = pageOf(req, res);
        if (!p) return;
        res
          .set('Cache-Control', 'no-store')
          .type('html')
          .send(view().wrap(`Preview: ${p.spec.title}`, planned.preview(party(req).id, p.id).html));
      });
      r.post('/pages/:id', (req, res) => {
        const p = pageOf(req, res);
        if (!p) return;
        try {
          pageView(req, res, planned.updatePage(party(req).id, p.id, specFromForm(body(req))));
        } catch (err) {
          pageView(req, res, p, errorText(err), 400);
        }
      });
      for (const action of ['open', 'close'] as const)
        r.post(`/pages/:id/${action}`, (req, res) => {
          const p = pageOf(req, res);
          if (!p) return;
          try {
            if (action === 'open') planned.openPage(party(req).id, p.id);
            else planned.closePage(party(req).id, p.id);
            res.redirect(303, `../${p.id}`);
          } catch (err) {
            pageView(req, res, p, errorText(err), publicError(err).status);
          }
        });
      r.post('/pages/:id/invite', (req, res) => {
        const p = pageOf(req, res);
        if (!p) return;
        try {
          planned.inviteContributor(party(req).id, p.id, { email: str(body(req).email), displayName: str(body(req).displayName) });
          res.redirect(303, `../${p.id}`);
        } catch (err) {
          pageView(req, res, p, errorText(err), publicError(err).status);
        }
      });

      r.get('/queue', (req, res) => {
        const q = planned.queue(party(req).id);
        const items = q
          .map(
            ({ page, contribution: c }) =>
              `<section class="card" data-contribution="${esc(c.id)}"><h2><a href="contributions/${esc(c.id)}">${esc(c.title)}</a></h2><p>For <em>${esc(page.spec.title)}</em> · ${esc(c.kind)} · ${when(c.createdAt)}</p><p>${esc(c.teaser)}</p>` +
              `<form method="post" action="contributions/${esc(c.id)}/decide" class="inline">${csrf(res)}<input type="hidden" name="decision" value="accept"><button type="submit">Accept</button></form> ` +
              `<form method="post" action="contributions/${esc(c.id)}/decide" class="inline">${csrf(res)}<input type="hidden" name="decision" value="reject"><label>Reason <input name="reason" required maxlength="500"></label> <button type="submit">Reject</button></form></section>`,
          )
          .join('');
        show(res, 'Moderation queue', `<h1>Moderation queue</h1>${items || '<p>Nothing waiting.</p>'}`);
      });
      r.get('/contributions/:id', (req, res) => {
        const found = planned.contributionFor(party(req), String(req.params.id));
        if (!found) return show(res, 'Not found', '<h1>Not found</h1><p>There is no such contribution on your pages.</p>', 404);
        show(res, found.contribution.title, contributionView(found.contribution, `${found.contribution.id}/file`));
      });
      r.get('/contributions/:id/file', (req, res) => {
        const found = planned.contributionFor(party(req), String(req.params.id));
        if (!found) return show(res, 'Not found', '<h1>Not found</h1><p>There is no such file.</p>', 404);
        sendFile(res, found.contribution, found.data);
      });
      r.post('/contributions/:id/decide', (req, res) => {
        const b = body(req);
        const decision = b.decision === 'accept' ? 'accept' : b.decision === 'reject' ? 'reject' : undefined;
        try {
          if (!decision) throw new TypeError('choose accept or reject');
          planned.decide(party(req).id, String(req.params.id), decision, str(b.reason));
          res.redirect(303, '../../queue');
        } catch (err) {
          show(
            res,
            'Not possible',
            `<h1>Not possible</h1><p class="error" role="alert">${esc(err instanceof TypeError ? err.message : errorText(err))}</p><p><a href="../../queue">Back to the queue</a></p>`,
            err instanceof TypeError ? 400 : publicError(err).status,
          );
        }
      });

      r.get('/totals', (req, res) => {
        const period = periodParam(req);
        const t = planned.totalsFor(party(req), period);
        show(res, 'Use totals and shares', `<h1>Use totals and shares</h1>${periodForm(period)}<h2>Use totals, ${esc(period)}</h2>${totalsTable(t, 'planner')}${shares(party(req), period)}`);
      });
    },
  };
}

/** The contributor's section: open pages, their terms, contributing, own contributions and their totals. */
export function contributorSection(planned: PlannedService, shares: SharesPanel): PortalSection {
  return {
    id: 'contribute',
    title: 'Contribute',
    kinds: ['contributor'],
    mount(r: express.Router, tools: SectionTools) {
      const party = (req: Request) => tools.party(req);
      r.get('/', (req, res) => {
        const me = party(req);
        const members = new Map(planned.memberships(me.id).map((m) => [m.pageId, m]));
        const pages = planned
          .openPages()
          .map(
            (p) =>
              `<tr data-page="${esc(p.id)}"><td><a href="pages/${esc(p.id)}">${esc(p.spec.title)}</a></td><td>${members.get(p.id)?.acceptedAt ? 'terms accepted' : members.has(p.id) ? 'invited' : ''}</td></tr>`,
          )
          .join('');
        const mine = planned
          .contributionsBy(me.id)
          .map(
            (c) =>
              `<tr data-contribution="${esc(c.id)}"><td><a href="contributions/${esc(c.id)}">${esc(c.title)}</a></td><td>${esc(planned.page(c.pageId)?.spec.title ?? '')}</td><td data-state>${esc(c.state)}</td><td>${esc(c.reason ?? '')}</td></tr>`,
          )
          .join('');
        show(
          res,
          'Contribute',
          `<h1>Contribute</h1><p><a href="totals">Use totals and shares</a></p><h2>Open pages</h2>${pages ? `<table><thead><tr><th>Page</th><th></th></tr></thead><tbody>${pages}</tbody></table>` : '<p>No open pages.</p>'}` +
            `<h2>Your contributions</h2>${mine ? `<table><thead><tr><th>Title</th><th>Page</th><th>State</th><th>Reason</th></tr></thead><tbody>${mine}</tbody></table>` : '<p>None yet.</p>'}`,
        );
      });

      const pageView = (req: Request, res: Response, id: string, error: string | null = null, status = 200) => {
        const me = party(req);
        let terms;
        try {
          terms = planned.contributorTerms(id);
        } catch {
          return show(res, 'Not found', '<h1>Not found</h1><p>There is no such open page.</p>', 404);
        }
        const p = terms.page;
        const accepted = planned.membership(me.id, p.id)?.acceptedAt;
        const sections = p.spec.sections.map((s) => `<option value="${esc(s.id)}">${esc(s.heading)}</option>`).join('');
        show(
          res,
          p.spec.title,
          `<h1>${esc(p.spec.title)}</h1>${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}<p><a href="${esc(pageUrl(p.id))}">See the page</a></p>` +
            `<section class="card"><h2>Contributor terms</h2><p data-terms>${esc(terms.text)}</p>${
              accepted
                ? `<p>You accepted these terms ${when(accepted)}.</p>`
                : `<form method="post" action="${esc(p.id)}/accept">${csrf(res)}<button type="submit">I accept these terms</button></form>`
            }</section>` +
            (accepted
              ? `<section class="card"><h2>Send a contribution</h2><form method="post" action="${esc(p.id)}/contribute" enctype="multipart/form-data">${csrf(res)}` +
                `<label>Section <select name="section">${sections}</select></label><br><label>Kind <select name="kind"><option value="text">Text</option><option value="image">Image (PNG, JPEG, GIF, WebP)</option><option value="file">File</option></select></label><br>` +
                `<label>Title <input name="title" required maxlength="120"></label><br><label>Teaser (free for everyone to read) <input name="teaser" required maxlength="400" size="60"></label><br>` +
                `<label>Text (or a caption)<br><textarea name="body" rows="8" cols="60"></textarea></label><br>` +
                `<label>File (at most ${planned.maxFileBytes()} bytes; ${ALLOWED_EXTENSIONS.join(', ')}) <input type="file" name="file"></label><br><button type="submit">Send for review</button></form></section>`
              : ''),
          status,
        );
      };
      r.get('/pages/:id', (req, res) => pageView(req, res, String(req.params.id)));
      r.post('/pages/:id/accept', (req, res) => {
        try {
          planned.acceptTerms(party(req).id, String(req.params.id));
          res.redirect(303, `../${String(req.params.id)}`);
        } catch (err) {
          pageView(req, res, String(req.params.id), errorText(err), publicError(err).status);
        }
      });
      r.get('/contributions/:id', (req, res) => {
        // Only the contributor's own: another's contribution answers as one that does not exist.
        const found = planned.contributionFor(party(req), String(req.params.id));
        if (!found) return show(res, 'Not found', '<h1>Not found</h1><p>There is no such contribution among yours.</p>', 404);
        show(res, found.contribution.title, contributionView(found.contribution, `${found.contribution.id}/file`));
      });
      r.get('/contributions/:id/file', (req, res) => {
        const found = planned.contributionFor(party(req), String(req.params.id));
        if (!found) return show(res, 'Not found', '<h1>Not found</h1><p>There is no such file.</p>', 404);
        sendFile(res, found.contribution, found.data);
      });
      r.get('/totals', (req, res) => {
        const period = periodParam(req);
        const t = planned.totalsFor(party(req), period);
        show(res, 'Use totals and shares', `<h1>Use totals and shares</h1>${periodForm(period)}<h2>Use totals, ${esc(period)}</h2>${totalsTable(t, 'contributor')}${shares(party(req), period)}`);
      });
      // The contribution form is multipart (it may carry a file); it is read in front of the portal's form parser (see contribute-upload.ts).
    },
  };
}

export { contributionView };
