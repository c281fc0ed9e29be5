import { leafHash } from './merkle.js';

/**
 * Access-log entry, canonical encoding v1: one line of JSON with the keys in
 * this fixed order and no whitespace. The leaf is RFC 6962 leafHash(line bytes),
 * so an auditor reads exactly the bytes that were hashed. The line always begins
 * `{"v":1,"prev":"<64 hex>","index":<n>,` which lets a verifier take the chain
 * link and the position without parsing the rest.
 *
 *   v        encoding version (1)
 *   prev     leaf hash of the previous entry, hex (64 zeros for entry 0)
 *   index    position in the log, from 0
 *   time     UTC, ISO 8601 with milliseconds
 *   site     the site whose log this is
 *   type     the entry type, registered by the module that writes it (entry-types.ts):
 *            page (sync), order, cancel, refund (shop)
 *   path     request path (no query string)
 *   kind     tie-up | original | asset | none | shop (cart, checkout and order pages; written
 *            as original before fees counted successful page views only)
 *   release  release number served, or null
 *   status   HTTP status
 *   bytes    response body bytes
 *   user     user id when logged in, else null
 *   session  session id (opaque), else null
 *   client   client address truncated to /24 (IPv4) or /48 (IPv6), else null
 *   ua       user-agent class: browser | mobile | bot | other
 *   order    { id, amount (integer minor units), currency } for order events, else null
 */
export const ENTRY_VERSION = 1;
export const ZERO_HASH = '0'.repeat(64);

export type PageKind = 'tie-up' | 'original' | 'asset' | 'none' | 'shop';
export type UaClass = 'browser' | 'mobile' | 'bot' | 'other';

export interface EntryFields {
  time: string;
  site: string;
  /** A type registered by one of the site's modules (entry-types.ts); append refuses any other. */
  type: string;
  path: string;
  kind: PageKind;
  release: number | null;
  status: number;
  bytes: number;
  user: string | null;
  session: string | null;
  client: string | null;
  ua: UaClass;
  order: { id: string; amount: number; currency: string } | null;
}

export interface LogEntry extends EntryFields {
  v: 1;
  prev: string;
  index: number;
}

const PREFIX = '{"v":1,"prev":"';
export const PREV_START = PREFIX.length;
export const PREV_END = PREV_START + 64;
const INDEX_KEY = '","index":';

export function encodeEntry(prev: string, index: number, f: EntryFields): string {
  const s = JSON.stringify;
  const order = f.order === null ? 'null' : `{"id":${s(f.order.id)},"amount":${f.order.amount},"currency":${s(f.order.currency)}}`;
  return (
    `${PREFIX}${prev}${INDEX_KEY}${index},"time":${s(f.time)},"site":${s(f.site)},"type":${s(f.type)},"path":${s(f.path)},"kind":${s(f.kind)},` +
    `"release":${f.release === null ? 'null' : f.release},"status":${f.status},"bytes":${f.bytes},"user":${s(f.user)},"session":${s(f.session)},` +
    `"client":${s(f.client)},"ua":${s(f.ua)},"order":${order}}`
  );
}

export function entryLeaf(line: string): Buffer {
  return leafHash(Buffer.from(line, 'utf8'));
}

/** The chain link and position of an encoded line, without parsing the rest; null if the line is not v1. */
export function entryHead(line: string): { prev: string; index: number } | null {
  if (!line.startsWith(PREFIX) || line.slice(PREV_END, PREV_END + INDEX_KEY.length) !== INDEX_KEY) return null;
  const prev = line.slice(PREV_START, PREV_END);
  if (!/^[0-9a-f]{64}$/.test(prev)) return null;
  let i = PREV_END + INDEX_KEY.length;
  let index = 0;
  const start = i;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    index = index * 10 + c;
  }
  if (i === start || i - start > 15 || line[i] !== ',') return null;
  return { prev, index };
}

/** Parses and checks a line is exactly the canonical encoding of its fields. */
export function decodeEntry(line: string): LogEntry | null {
  let e: LogEntry;
  try {
    e = JSON.parse(line) as LogEntry;
  } catch {
    return null;
  }
  if (e === null || typeof e !== 'object' || e.v !== 1) return null;
  try {
    return encodeEntry(e.prev, e.index, e) === line ? e : null;
  } catch {
    return null;
  }
}

/** Client address truncated for privacy: /24 for IPv4, /48 for IPv6. */
export function truncateAddress(ip: string | undefined): string | null {
  if (!ip) return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(':')) {
    const [head] = ip.split('::');
    const groups = (head ?? '').split(':').filter((g) => g !== '');
    while (groups.length < 3) groups.push('0');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return null;
}

export function uaClass(ua: string | undefined): UaClass {
  if (!ua) return 'other';
  if (/bot|crawl|spider|slurp|curl|wget|python|httpclient|undici|node-fetch/i.test(ua)) return 'bot';
  if (/mobile|android|iphone|ipad/i.test(ua)) return 'mobile';
  if (/mozilla|chrome|safari|firefox|edge/i.test(ua)) return 'browser';
  return 'other';
}
