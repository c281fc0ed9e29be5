import { z } from 'zod';
import { defineEndpoint } from './endpoint.js';

/**
 * An ad as every serving site sees it (the main site sends it with leases):
 * what to show, where it may show, and how often per shopper. Payment and
 * counts stay at the main site.
 */
export const AD_ID_RE = /^ad-[a-z0-9-]{1,60}$/;
export const adId = z.string().regex(AD_ID_RE, 'an ad id is "ad-" and lowercase letters, digits or "-"');
export const keyword = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[\p{L}\p{N}-]+$/u, 'a keyword is one word (letters, digits, "-")')
  .transform((s) => s.toLowerCase());

/**
 * The creative: an image from the release (an asset path every site serves) or
 * a small HTML snippet, shown in an iframe with an empty sandbox (no script, no
 * forms, no top navigation, a unique origin): nothing in it can act on our page.
 */
export const creative = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('image'), src: z.string().regex(/^\/assets\/[A-Za-z0-9._/-]{1,200}$/, 'an image is a release asset path, /assets/...'), alt: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('html'), html: z.string().min(1).max(4000) }),
]);
export type Creative = z.infer<typeof creative>;

/** Where an ad may show: sites (ids), pages (exact paths, or a prefix ending in "*"), categories (a page's first path segment, "home" for /). Empty = anywhere. */
export const target = z.strictObject({
  sites: z
    .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/))
    .max(100)
    .default([]),
  pages: z
    .array(z.string().regex(/^\/[A-Za-z0-9._/-]{0,200}\*?$/))
    .max(100)
    .default([]),
  categories: z
    .array(z.string().regex(/^[a-z0-9-]{1,40}$/))
    .max(100)
    .default([]),
});
export type Target = z.infer<typeof target>;

export const frequencyCap = z.strictObject({
  count: z.int().min(1).max(1000),
  hours: z
    .int()
    .min(1)
    .max(24 * 30),
});

export const adDefinition = z.strictObject({
  id: adId,
  title: z.string().min(1).max(120),
  text: z.string().max(1000).default(''),
  /** Where "more" on the details page leads (the advertiser's site); http(s) only. */
  url: z
    .string()
    .max(500)
    .regex(/^https?:\/\/[^\s"'<>]+$/, 'a link is an http(s) URL')
    .nullable()
    .default(null),
  creative,
  keywords: z.array(keyword).max(30).default([]),
  target: target.default({ sites: [], pages: [], categories: [] }),
  /** Viewing points SP a shopper earns by opening the ad's details (once per ad per period). */
  points: z.int().min(0).max(100_000).default(0),
  frequencyCap: frequencyCap.nullable().default(null),
});
export type AdDefinition = z.infer<typeof adDefinition>;

/** A lease id: chosen by the main site. */
export const leaseId = z.string().regex(/^L[A-Za-z0-9_-]{8,39}$/, 'a lease id is "L" and 8-39 letters, digits, "-" or "_"');

/**
 * One exchange of the quota protocol (docs/ads.md): the serving site reports
 * what it served from each lease it holds (cumulative, so a repeated report
 * changes nothing) and which it closed, says which ads it wants quota for at
 * what rate, and gets the ads it may show, new leases, and the leases the
 * main site has settled (which it may forget).
 */
export const adsExchangeRequest = z.strictObject({
  /** Higher than any earlier exchange of this site (kept across restarts): a late copy of an older one is refused. */
  seq: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Every lease the site holds, each with what it served (cumulative, so a repeat changes nothing) and whether it is closed. */
  reports: z.array(z.strictObject({ lease: leaseId, used: z.int().min(0).max(1_000_000), close: z.boolean() })).max(1000),
  wants: z.array(z.strictObject({ ad: adId, rate: z.number().min(0).max(1_000_000) })).max(200),
  /** A sample of this site's latest choices, for the operator's console. */
  choices: z.array(z.strictObject({ at: z.iso.datetime(), page: z.string().max(300), ad: adId.nullable(), reason: z.string().max(500) })).max(20),
});
export type AdsExchangeRequest = z.output<typeof adsExchangeRequest>;

export const adsExchangeAnswer = z.strictObject({
  ads: z.array(adDefinition).max(200),
  leases: z.array(z.strictObject({ id: leaseId, ad: adId, size: z.int().min(1).max(1_000_000), ttlMs: z.int().min(1).max(3_600_000) })).max(200),
  settled: z.array(leaseId).max(1000),
});
export type AdsExchangeAnswer = z.output<typeof adsExchangeAnswer>;

export const ADS_EXCHANGE = defineEndpoint({
  name: 'ads.exchange',
  method: 'POST',
  path: '/s2s/ads/exchange',
  request: adsExchangeRequest,
  response: adsExchangeAnswer,
  errors: ['stale_exchange'],
  callers: 'partner',
});

/** A shopper opened an ad's details on a partner (its single-use link checked there): credit the ad's points, once per ad per period. */
export const adsViewRequest = z.strictObject({ ad: adId, lease: leaseId, seq: z.int().min(1).max(1_000_000), user: z.string().min(1).max(64) });
export const adsViewAnswer = z.strictObject({ credited: z.boolean(), points: z.int().min(0), balance: z.int().min(0), period: z.string().max(20) });

export const ADS_VIEW = defineEndpoint({
  name: 'ads.view',
  method: 'POST',
  path: '/s2s/ads/views',
  request: adsViewRequest,
  response: adsViewAnswer,
  errors: ['delivery_unknown', 'user_unknown'],
  callers: 'partner',
});

/**
 * A shopper's viewing points as the main site keeps them, for the account
 * page of the site the shopper is signed in on (points are earned on any site
 * and kept at the main site). A partner learns no more than ads.view's answer
 * already tells it (the balance), plus the lots and spends behind it.
 */
export const adsPointsRequest = z.strictObject({ user: z.string().min(1).max(64) });
export const adsPointsAnswer = z.strictObject({
  balance: z.int().min(0),
  earned: z.array(z.strictObject({ ad: adId, period: z.string().max(20), points: z.int().min(0), left: z.int().min(0), expired: z.boolean(), expiresAt: z.string().max(40) })).max(200),
  spent: z.array(z.strictObject({ points: z.int().min(0), reason: z.string().max(200), spentAt: z.string().max(40) })).max(200),
});
export type AdsPointsAnswer = z.output<typeof adsPointsAnswer>;

export const ADS_POINTS = defineEndpoint({
  name: 'ads.points',
  method: 'POST',
  path: '/s2s/ads/points',
  request: adsPointsRequest,
  response: adsPointsAnswer,
  errors: ['user_unknown'],
  callers: 'partner',
});
