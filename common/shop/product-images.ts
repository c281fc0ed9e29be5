import type { ContentView } from '../render/content-view.js';
import type { Product } from '../render/catalog.js';

/** The widths a product picture is served at: a fixed list, so the variants kept in memory stay few. */
export const IMAGE_WIDTHS = [80, 160, 320, 640] as const;
export type ImageWidth = (typeof IMAGE_WIDTHS)[number];
const MAX_CACHED = 2000;

export const isImageWidth = (w: number): w is ImageWidth => (IMAGE_WIDTHS as readonly number[]).includes(w);

/**
 * Product pictures: SVG release assets, served at the width a page asks for
 * (the root element's width and height set from its viewBox), each variant
 * built once per asset version and kept in memory. The URL carries the asset's
 * version, so a browser may keep it for a year; a new release's picture has a
 * new URL.
 */
export class ProductImages {
  private readonly cache = new Map<string, Buffer>();

  /** The URL of a product's picture at a width, or null when it has none (or the release lacks the file). */
  url(view: ContentView, p: Product, w: ImageWidth): string | null {
    const v = this.version(view, p);
    return v ? `/shop/image/${encodeURIComponent(p.id)}?w=${w}&v=${v}` : null;
  }

  private version(view: ContentView, p: Product): string | null {
    if (!p.image) return null;
    const a = view.asset(`/assets/${p.image}`);
    return a && 'etag' in a ? a.etag.replace(/"/g, '').slice(0, 12) : null;
  }

  /** The variant's bytes, its version, or why not: `missing` (no picture) or `damaged` (its stored file fails its hash). */
  variant(view: ContentView, p: Product, w: ImageWidth): { body: Buffer; version: string } | 'missing' | 'damaged' {
    if (!p.image) return 'missing';
    const a = view.asset(`/assets/${p.image}`);
    if (!a) return 'missing';
    if (!('etag' in a)) return 'damaged';
    const version = a.etag.replace(/"/g, '').slice(0, 12);
    const key = `${a.etag}:${w}`;
    let body = this.cache.get(key);
    if (!body) {
      body = Buffer.from(resizeSvg(a.data.toString('utf8'), w));
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, body);
    }
    return { body, version };
  }
}

/** Sets the root <svg>'s width (and the height its viewBox implies); the drawing scales, being vector. */
export function resizeSvg(svg: string, w: number): string {
  const m = /<svg\b[^>]*>/i.exec(svg);
  if (!m) return svg;
  const tag = m[0];
  const vb = /viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/i.exec(tag);
  const h = vb ? Math.round((w * Number(vb[2])) / Number(vb[1])) : w;
  const bare = tag.replace(/\s(width|height)="[^"]*"/gi, '');
  const sized = bare.replace(/^<svg\b/i, `<svg width="${w}" height="${h}"`);
  return svg.slice(0, m.index) + sized + svg.slice(m.index + tag.length);
}
