import PDFDocument from 'pdfkit';
import { escapeHtml } from '../render/page-renderer.js';
import { formatMoney } from '../money.js';
import { buyUrl, pageUrl, type PageSpec, type SaleItem } from './page.js';

/** An accepted contribution as a page shows it: title and teaser are free. */
export interface ShownContribution {
  id: string;
  section: string;
  title: string;
  teaser: string;
  contributor: string;
  kind: 'text' | 'image' | 'file';
}

export interface PageModel {
  id: string;
  spec: PageSpec;
  planner: { name: string; slug: string };
  contributions: ShownContribution[];
}

const esc = escapeHtml;
const money = (amount: number, currency: string) => esc(formatMoney({ amount, currency }));
const paragraphs = (s: string) =>
  s
    .split(/\n{2,}/)
    .filter((p) => p.trim())
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`)
    .join('');

function buyLink(page: PageModel, item: SaleItem, label: string): string {
  return `<a class="button planned-buy" href="${esc(buyUrl(page.id, item))}">${esc(label)}</a>`;
}

/**
 * The open page as published in releases (`pages/planned/<id>.html`): our own
 * HTML, every planner's and contributor's word escaped, drawn in the chosen
 * layout inside the brand's layout template. Buying goes to /planned-buy/...,
 * which each site answers itself (a form with the shopper's own token).
 */
export function renderPlannedPage(page: PageModel, releaseStamp = ''): string {
  const { spec } = page;
  const out: string[] = [];
  out.push(`<article class="planned-page layout-${spec.layout}" data-planned-page="${esc(page.id)}">`);
  out.push(`<h1>${esc(spec.title)}</h1>`);
  out.push(`<p class="planned-by">A planned page by <a href="/planners/${esc(page.planner.slug)}">${esc(page.planner.name)}</a></p>`);
  out.push(`<div class="planned-description">${paragraphs(spec.description)}</div>`);
  const prices: string[] = [];
  if (spec.pagePrice !== null) prices.push(`the whole page ${money(spec.pagePrice, spec.currency)}`);
  if (spec.contributionPrice !== null) prices.push(`one contribution ${money(spec.contributionPrice, spec.currency)}`);
  out.push(`<p class="planned-prices">Prices set by ${esc(page.planner.name)}: ${prices.join('; ')}.</p>`);
  if (spec.pagePrice !== null && page.contributions.length)
    out.push(`<p>${buyLink(page, { kind: 'page' }, `Buy the whole page, ${formatMoney({ amount: spec.pagePrice, currency: spec.currency })}`)}</p>`);
  if (spec.layout === 'compact') {
    out.push('<table class="planned-toc"><thead><tr><th>Contribution</th><th>By</th><th>Section</th><th></th></tr></thead><tbody>');
    for (const c of page.contributions) {
      const section = spec.sections.find((s) => s.id === c.section)?.heading ?? c.section;
      out.push(
        `<tr data-contribution="${esc(c.id)}"><td><strong>${esc(c.title)}</strong><br>${esc(c.teaser)}</td><td>${esc(c.contributor)}</td><td>${esc(section)}</td><td>${
          spec.contributionPrice !== null ? buyLink(page, { kind: 'contribution', id: c.id }, 'Buy') : ''
        }</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  } else {
    for (const s of spec.sections) {
      out.push(`<section class="planned-section" id="s-${esc(s.id)}"><h2>${esc(s.heading)}</h2>${paragraphs(s.intro)}`);
      const mine = page.contributions.filter((c) => c.section === s.id);
      if (!mine.length) out.push('<p class="planned-empty">No contributions here yet.</p>');
      out.push(spec.layout === 'cards' ? '<div class="planned-cards">' : '<div class="planned-list">');
      for (const c of mine) {
        out.push(
          `<div class="planned-contribution" data-contribution="${esc(c.id)}"><h3>${esc(c.title)}</h3><p class="planned-teaser">${esc(c.teaser)}</p><p class="planned-meta">By ${esc(c.contributor)} · ${esc(
            c.kind,
          )}</p>${spec.contributionPrice !== null ? `<p>${buyLink(page, { kind: 'contribution', id: c.id }, `Buy, ${formatMoney({ amount: spec.contributionPrice, currency: spec.currency })}`)}</p>` : ''}</div>`,
        );
      }
      out.push('</div></section>');
    }
  }
  out.push(`<p class="planned-formats">You can take what you buy as: ${spec.formats.map((f) => (f === 'html' ? 'a page in your account' : f === 'pdf' ? 'PDF' : 'Markdown')).join(', ')}.</p>`);
  out.push(`</article>${releaseStamp ? `<!-- ${esc(releaseStamp)} -->` : ''}`);
  return out.join('\n');
}

export interface PlannerHome {
  name: string;
  slug: string;
  pages: { id: string; title: string; description: string }[];
}

/** A planner's home page (seed claim 7: each contents provider opens its own home page). */
export function renderPlannerHome(p: PlannerHome): string {
  const items = p.pages.map((x) => `<li><a href="${esc(pageUrl(x.id))}">${esc(x.title)}</a><br>${esc(x.description.slice(0, 200))}</li>`).join('');
  return `<h1>${esc(p.name)}</h1><p>Planned pages by ${esc(p.name)}.</p><ul class="planned-pages">${items || '<li>No open pages yet.</li>'}</ul><p><a href="/planners">Every planner</a></p>`;
}

/**
 * The portal directory (claims 11-12): a link to every planner's home page,
 * with advertisement places the ads capability fills (an empty slot until it does).
 */
export function renderDirectory(planners: { name: string; slug: string; pages: number }[]): string {
  const rows = planners.map((p) => `<li><a href="/planners/${esc(p.slug)}">${esc(p.name)}</a> (${p.pages} open page${p.pages === 1 ? '' : 's'})</li>`).join('');
  return (
    `<h1>Planners</h1><p>Planned pages are opened by independent planners and filled by contributors. Every planner's home page:</p>` +
    `<aside class="ad-place" data-ad-place="planners-directory-top" aria-label="Advertisement"></aside>` +
    `<ul class="planners">${rows || '<li>No planners yet.</li>'}</ul>` +
    `<aside class="ad-place" data-ad-place="planners-directory-bottom" aria-label="Advertisement"></aside>`
  );
}

/** What a buyer bought, as delivered in each format. */
export interface BoughtContent {
  orderId: string;
  pageTitle: string;
  itemTitle: string;
  seller: string;
  site: string;
  amount: number;
  currency: string;
  boughtAt: string;
  parts: {
    id: string;
    section: string;
    title: string;
    teaser: string;
    contributor: string;
    kind: 'text' | 'image' | 'file';
    body: string;
    file: { name: string; mediaType: string; inline: boolean; size: number; data?: Buffer } | null;
  }[];
}

/** The HTML view in the account (claim 7), escaped; files are links to their inert downloads under `fileBase`. */
export function boughtHtml(b: BoughtContent, fileBase: string): string {
  const parts = b.parts
    .map((p) => {
      let media = '';
      if (p.file) {
        const href = `${fileBase}/${p.id}`;
        media = p.file.inline
          ? `<p><img src="${esc(href)}" alt="${esc(p.title)}" style="max-width:100%"></p>`
          : `<p><a href="${esc(href)}" download>Download ${esc(p.file.name)}</a> (${p.file.size} bytes)</p>`;
      }
      return `<section class="bought-part" data-contribution="${esc(p.id)}"><h2>${esc(p.title)}</h2><p class="planned-meta">By ${esc(p.contributor)} · ${esc(p.section)}</p>${paragraphs(p.body)}${media}</section>`;
    })
    .join('');
  return `<article class="bought"><h1>${esc(b.itemTitle)}</h1><p>From <em>${esc(b.pageTitle)}</em>, sold by ${esc(b.seller)}.</p>${parts}</article>`;
}

export function boughtMarkdown(b: BoughtContent): string {
  const lines = [`# ${b.itemTitle}`, '', `From *${b.pageTitle}*, sold by ${b.seller}. Order ${b.orderId}, ${b.boughtAt}.`, ''];
  for (const p of b.parts) {
    lines.push(`## ${p.title}`, '', `By ${p.contributor} (${p.section})`, '');
    if (p.body) lines.push(p.body, '');
    if (p.file) lines.push(`Attached: ${p.file.name} (${p.file.size} bytes), in your account.`, '');
  }
  return lines.join('\n');
}

/** The PDF (pdfkit): text, raster pictures embedded (PNG and JPEG), other files named. */
export function boughtPdf(b: BoughtContent): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: b.itemTitle, Author: b.seller, CreationDate: new Date(b.boughtAt) } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(20).text(b.itemTitle);
    doc
      .moveDown(0.3)
      .fontSize(10)
      .fillColor('#555')
      .text(`From "${b.pageTitle}", sold by ${b.seller}. Order ${b.orderId}, ${b.boughtAt}, ${formatMoney({ amount: b.amount, currency: b.currency })}.`);
    doc.fillColor('#000');
    for (const p of b.parts) {
      doc.moveDown(1).fontSize(14).text(p.title);
      doc.fontSize(9).fillColor('#555').text(`By ${p.contributor} (${p.section})`).fillColor('#000');
      if (p.body) doc.moveDown(0.4).fontSize(11).text(p.body);
      if (p.file?.data && (p.file.mediaType === 'image/png' || p.file.mediaType === 'image/jpeg')) {
        try {
          doc.moveDown(0.4).image(p.file.data, { fit: [480, 360] });
        } catch {
          doc.fontSize(10).text(`Picture ${p.file.name} could not be drawn; it is in your account.`);
        }
      } else if (p.file) {
        doc.moveDown(0.4).fontSize(10).text(`Attached: ${p.file.name} (${p.file.size} bytes), in your account.`);
      }
    }
    doc.end();
  });
}
