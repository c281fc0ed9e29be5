import express, { type Request, type Response } from 'express';
import { escapeHtml } from '../../common/render/page-renderer.js';
import { readAccessKey } from '../../common/paid/index.js';
import { REFUSAL_STATUS, type PaidService, type RefusalReason } from './paid-service.js';

const CONTENT_TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain; charset=utf-8',
  pdf: 'application/pdf',
};

const REFUSALS: Record<RefusalReason, { title: string; text: string }> = {
  invalid: { title: 'This link is not valid', text: 'The access key in this link was not issued by us or has been changed.' },
  wrong_item: { title: 'This link is for another item', text: 'The access key in this link opens another item.' },
  window_passed: { title: 'This link has expired', text: 'An access link must be opened within a short time of asking for it, and this one was not.' },
  expired: { title: 'This link has expired', text: 'The time this access link was valid for has ended.' },
  other_address: { title: 'This link is in use elsewhere', text: 'This access link was first opened from another network, and works only there.' },
  revoked: { title: 'This link has been withdrawn', text: 'Access through this link has been withdrawn.' },
};

/**
 * /paid/<key>/<item>/<page>: the item's pages, each behind the key check.
 * The key sits in the path, so a page's relative links carry it to every
 * page of the item at any depth. Pages render once per release and are kept.
 */
export function paidReader(paid: PaidService): express.Router {
  const r = express.Router();
  const rendered = new Map<string, { body: Buffer; type: string; asset: boolean; etag: string } | null>();
  let renderedFor: string | null | undefined;

  const find = (item: string, rest: string) => {
    const view = paid.view();
    const root = view.release?.root ?? null;
    if (renderedFor !== root) {
      rendered.clear();
      renderedFor = root;
    }
    const cacheKey = `${item}\n${rest}`;
    if (rendered.has(cacheKey)) return rendered.get(cacheKey)!;
    const released = paid.items().get(item);
    let out: { body: Buffer; type: string; asset: boolean; etag: string } | null = null;
    if (released && view.release) {
      const name = rest.replace(/^\/+/, '').replace(/\/+$/, '');
      const candidates = name === '' ? ['index.md', 'index.html'] : [`${name}.md`, `${name}.html`, `${name}/index.md`, `${name}/index.html`, name];
      for (const c of candidates) {
        const e = released.pages.get(c);
        if (!e) continue;
        const data = view.release.read(e.sha256);
        // A damaged stored file is never served (the sync capability reports it as drift).
        if (!data) continue;
        if (c.endsWith('.md') || c.endsWith('.html')) {
          const html = view.renderSource(`/paid/${item}/${name}`, c, data.toString('utf8'));
          out = { body: Buffer.from(html), type: 'text/html; charset=utf-8', asset: false, etag: `"${e.sha256.slice(0, 24)}-${root ?? ''}"` };
        } else {
          out = { body: data, type: CONTENT_TYPES[c.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream', asset: true, etag: `"${e.sha256.slice(0, 24)}"` };
        }
        break;
      }
    }
    if (rendered.size < 20_000) rendered.set(cacheKey, out);
    return out;
  };

  const refuse = (req: Request, res: Response, reason: RefusalReason, token: string, item: string, rest: string) => {
    const claims = readAccessKey(token)?.claims;
    const back = paid.backLink(claims?.ptn, item);
    const t = REFUSALS[reason];
    const status = REFUSAL_STATUS[reason];
    const html = paid
      .view()
      .wrap(
        t.title,
        `<h1>${escapeHtml(t.title)}</h1><p>${escapeHtml(t.text)}</p>` +
          (back
            ? `<p><a class="button" href="${escapeHtml(back)}" data-back-to-partner>Open the item again at the shop that sold it</a></p>`
            : `<p><a href="/">Go to the home page</a>, or open the item again at the shop where you bought it.</p>`),
      );
    res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
    paid.logPage({
      type: 'paid_refused',
      keyId: claims?.jti ?? '-',
      item,
      rest,
      status,
      bytes: Buffer.byteLength(html),
      asset: false,
      claims,
      session: reason,
      client: req.ip,
      ua: req.get('user-agent'),
    });
  };

  r.get(/^\/paid\/([A-Za-z0-9_.-]+)\/([a-z0-9][a-z0-9-]{0,63})(\/.*)?$/, (req, res) => {
    const m = /^\/paid\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.path)!;
    const token = m[1]!;
    const item = m[2]!;
    const rest = m[3];
    // The top page ends in "/" so that its relative links resolve inside the item.
    if (rest === undefined) return res.redirect(301, `${req.path}/`);
    const result = paid.check(token, item, req.ip ?? '');
    if (!result.ok) return refuse(req, res, result.reason, token, item, rest);
    const page = find(item, rest);
    const keyId = result.claims.jti;
    if (!page) {
      const html = paid.view().message('Page not found', `There is no page ${rest} in ${result.item.item.title}.`);
      res.status(404).set('Cache-Control', 'no-store').type('html').send(html);
      paid.logPage({
        type: 'paid_page',
        keyId,
        item,
        rest,
        status: 404,
        bytes: Buffer.byteLength(html),
        asset: false,
        claims: result.claims,
        session: keyId,
        client: req.ip,
        ua: req.get('user-agent'),
      });
      return;
    }
    // Private: the page is the shopper's purchase; no shared cache keeps it, and the key in the URL leaves no Referer.
    res.set('Cache-Control', 'private, no-store').set('Referrer-Policy', 'no-referrer');
    const frameFrom = paid.partnerOrigin(result.claims.ptn);
    if (frameFrom) {
      // The selling partner may show the item inside a frame of its own page (seed 【0129】).
      const csp = res.getHeader('content-security-policy');
      if (typeof csp === 'string') res.set('Content-Security-Policy', csp.replace(/frame-ancestors [^;]*/, `frame-ancestors 'self' ${frameFrom}`));
      res.removeHeader('X-Frame-Options');
    }
    // Our own ETag, computed once per page: express would otherwise hash every answer's body.
    res.set('ETag', page.etag).type(page.type).send(page.body);
    paid.logPage({ type: 'paid_page', keyId, item, rest, status: 200, bytes: page.body.length, asset: page.asset, claims: result.claims, session: keyId, client: req.ip, ua: req.get('user-agent') });
  });
  return r;
}
