import type { Request } from 'express';
import { plural } from './format.js';

/**
 * Console banners after a redirect ("Release 3 approved and served."): the
 * redirect names a message by its id (`?done=approved&release=3`) and the page
 * looks the text up in its own catalog, so nothing from the URL is ever shown
 * as text in the trusted banner. An unknown id, or a parameter missing or not
 * of its declared kind, shows no banner at all.
 *
 * Parameters travel as their own query keys and are checked against a small
 * set of kinds (a whole number, a site id, an order number, ...) before they
 * are put into the text; a failure's details are never put in a URL: the page
 * that failed is rendered in place with the error's public message instead.
 */
export interface Banner {
  ok: boolean;
  text: string;
}

/** What a parameter may look like: only these ever reach a banner's text. */
export const BANNER_PARAM = {
  /** A whole number (release numbers, counts). */
  int: /^(0|[1-9][0-9]{0,8})$/,
  /** A site id (SITE_ID_RE). */
  site: /^[a-z][a-z0-9-]{0,31}$/,
  /** An order number (NORTH-000042). */
  order: /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/,
  /** A fee period. */
  period: /^\d{4}-(0[1-9]|1[0-2])$/,
  /** An order state or other lowercase word. */
  word: /^[a-z][a-z_]{0,31}$/,
} as const;
export type BannerParamKind = keyof typeof BANNER_PARAM;

export interface BannerSpec {
  /** The text, with `{name}` for each parameter, or `{name#noun}` (`{name#one/many}`) for a count with its noun in the right number. */
  text: string;
  /** A failure banner (red, role=alert; carried as `?error=<id>`); default: a success (`?done=<id>`). */
  error?: boolean;
  /** The parameters the text uses, by kind (or a pattern of the page's own, e.g. the order states). */
  params?: Readonly<Record<string, BannerParamKind | RegExp>>;
}

type ParamsOf<S> = S extends { params: infer P extends Readonly<Record<string, unknown>> } ? { [K in keyof P]: string | number } : never;

export interface Banners<T extends Record<string, BannerSpec>> {
  readonly page: string;
  readonly specs: T;
  /** The redirect target `path` (which may carry its own query) with banner `id` and its parameters. */
  href<K extends keyof T & string>(path: string, id: K, ...params: [ParamsOf<T[K]>] extends [never] ? [] : [ParamsOf<T[K]>]): string;
  /** The banner a request names, or null. */
  read(query: Request['query']): Banner | null;
}

const ID = /^[a-z][a-z0-9_]{0,63}$/;
const patternOf = (kind: BannerParamKind | RegExp): RegExp => (typeof kind === 'string' ? BANNER_PARAM[kind] : kind);

/**
 * Declares a page's banners, e.g.
 *
 *   const BANNERS = defineBanners('partner sync', {
 *     rejected: { text: 'Release {release} rejected.', params: { release: 'int' } },
 *   });
 *   res.redirect(303, BANNERS.href('/manage/sync', 'rejected', { release: 3 }));
 *   res.render('partner-sync', { banner: BANNERS.read(req.query), ... });
 */
export function defineBanners<const T extends Record<string, BannerSpec>>(page: string, specs: T): Banners<T> {
  for (const [id, spec] of Object.entries(specs)) {
    if (!ID.test(id)) throw new Error(`${page}: banner id "${id}" is not snake_case`);
    const used = [...new Set([...spec.text.matchAll(/\{([a-z][a-zA-Z0-9]*)(?:#[^}]*)?\}/g)].map((m) => m[1]!))];
    const declared = Object.keys(spec.params ?? {});
    if (used.sort().join() !== [...new Set(declared)].sort().join()) throw new Error(`${page}: banner "${id}" uses {${used.join(', ')}} but declares ${declared.join(', ') || 'no parameters'}`);
    for (const k of declared) if (k === 'done' || k === 'error') throw new Error(`${page}: banner "${id}" cannot have a parameter named ${k}`);
    for (const kind of Object.values(spec.params ?? {})) {
      if (kind instanceof RegExp && (!kind.source.startsWith('^') || !kind.source.endsWith('$') || kind.global || kind.sticky))
        throw new Error(`${page}: banner "${id}" has a pattern that is not anchored (^...$) or is stateful (g, y)`);
    }
  }
  return {
    page,
    specs,
    href(path, id, ...rest) {
      const spec = specs[id]!;
      const q = new URLSearchParams();
      q.set(spec.error ? 'error' : 'done', id);
      const values = (rest[0] ?? {}) as Record<string, string | number>;
      for (const [name, kind] of Object.entries(spec.params ?? {})) {
        const v = String(values[name]);
        // A value the page would refuse is a bug here, not something to send.
        if (!patternOf(kind).test(v)) throw new Error(`${page}: banner "${id}" parameter ${name} is not a ${String(kind)}: ${JSON.stringify(v)}`);
        q.set(name, v);
      }
      return `${path}${path.includes('?') ? '&' : '?'}${q.toString()}`;
    },
    read(query) {
      const pick = (key: 'done' | 'error'): Banner | null => {
        const id = query[key];
        if (typeof id !== 'string' || !Object.hasOwn(specs, id)) return null;
        const spec = specs[id]!;
        if (!!spec.error !== (key === 'error')) return null;
        let text = spec.text;
        for (const [name, kind] of Object.entries(spec.params ?? {})) {
          const v = query[name];
          if (typeof v !== 'string' || !patternOf(kind).test(v)) return null;
          text = text.replace(new RegExp(`\\{${name}#([^}/]+)(?:/([^}]+))?\\}`, 'g'), (_m, one: string, many?: string) => plural(Number(v), one, many)).replaceAll(`{${name}}`, v);
        }
        return { ok: !spec.error, text };
      };
      return pick('done') ?? pick('error');
    },
  };
}

/** The banner for a failed console action, rendered in place: the error's public message (see publicMessage). */
export const failureBanner = (text: string): Banner => ({ ok: false, text });
