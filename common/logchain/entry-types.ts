import { z } from 'zod';
import type { EntryFields } from './entry.js';

/**
 * Access-log entry types, registered by the modules that write them.
 *
 * An entry is an envelope and a payload. The envelope is what every entry has
 * and what the verifiers read: the encoding version `v`, the chain link `prev`,
 * the position `index`, then `time`, `site` and `type`. Envelope v1 (entry.ts)
 * carries one fixed payload block after them (path, kind, release, status,
 * bytes, user, session, client, ua, order), in a fixed key order, so today's
 * lines stay byte for byte what they were and the fast verifier keeps reading
 * the link and the index at fixed offsets.
 *
 * A type says which `type` value it writes, which capability owns it, the
 * version of its payload under its envelope, and the payload's schema. A v1
 * type's payload schema is a narrowing of the v1 block (`v1Payload`), so it
 * always encodes; a type whose payload does not fit the v1 block would need
 * envelope v2 (`{"v":2,"prev","index","time","site","type","tv":<payload
 * version>,"data":{...}}`), which no module needs yet and so does not exist.
 *
 * Appending an entry of a type the site's modules did not register, or whose
 * payload fails its schema, throws, in production too, before an index is
 * taken: an entry is evidence. Once appended it is chained, signed into a
 * checkpoint, shipped, cosigned by the main site and counted for fees; it can
 * never be corrected, only contradicted. A writer bug caught at the door loses
 * one entry and shows up in the server log at once; let through, it would be a
 * signed entry every later reader has to explain.
 *
 * Verification does not parse payloads: the fast and careful passes check the
 * envelope and the chain from the bytes, as before. Payload meaning is for the
 * readers that count (usage-from-bundle, the main site's witness store).
 */
export interface EntryType<P = unknown> {
  /** The envelope's `type` value. */
  readonly type: string;
  /** The payload's version under its envelope (1: the v1 block). */
  readonly version: 1;
  /** The capability that owns the type (other modules may write it too, and list it). */
  readonly capability: string;
  /** The payload's schema: the fields after `time`, `site` and `type`. */
  readonly payload: z.ZodType<P>;
  /** Envelope and payload in one schema, as append checks them (built once). */
  readonly entry: z.ZodType<EntryFields>;
}

/**
 * What a page entry answered: tie-up or original content, an asset, nothing
 * (the 404 page), or a page of the shop's own machinery (cart, checkout, order
 * pages; since fees count successful page views only, docs/fees.md). A kind was
 * added rather than a meaning changed: older entries keep their bytes.
 */
export const PAGE_KINDS = ['tie-up', 'original', 'asset', 'none', 'shop'] as const;
export const UA_CLASSES = ['browser', 'mobile', 'bot', 'other'] as const;

/** `time` as the log writes it: UTC, ISO 8601 with milliseconds. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TYPE = /^[a-z][a-z0-9_]{0,31}$/;

/** The order an order event is about: amount in minor units, ISO 4217 currency. */
export const orderRef = z.object({ id: z.string().min(1).max(200), amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), currency: z.string().regex(/^[A-Z]{3}$/) }).strict();

/** The v1 payload block with every value it can encode; types narrow it. */
const V1_BLOCK = {
  path: z.string().max(500),
  kind: z.enum(PAGE_KINDS),
  release: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
  status: z.number().int().min(100).max(599),
  bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  user: z.string().max(500).nullable(),
  session: z.string().max(500).nullable(),
  client: z.string().max(64).nullable(),
  ua: z.enum(UA_CLASSES),
  order: orderRef.nullable(),
};
type V1Block = typeof V1_BLOCK;

/** A v1 payload schema: the v1 block with some of its fields narrowed (e.g. `order: z.null()`). */
export function v1Payload<O extends Partial<{ [K in keyof V1Block]: z.ZodType<z.output<V1Block[K]>> }>>(narrow: O) {
  return z.object({ ...V1_BLOCK, ...narrow }).strict();
}

export interface EntryTypeSpec<P> {
  type: string;
  version: 1;
  capability: string;
  /** Made with v1Payload. */
  payload: z.ZodObject<z.ZodRawShape> & z.ZodType<P>;
}

/** Declares an entry type: `defineEntryType({ type: 'order', version: 1, capability: 'shop', payload: v1Payload({ order: orderRef }) })`. */
export function defineEntryType<P>(spec: EntryTypeSpec<P>): EntryType<P> {
  if (!TYPE.test(spec.type)) throw new Error(`entry type "${spec.type}" must be 1-32 lowercase letters, digits or _`);
  for (const k of Object.keys(spec.payload.shape)) {
    if (!(k in V1_BLOCK)) throw new Error(`entry type ${spec.type}: "${k}" is not a field of the v1 payload block; such a type needs envelope v2`);
  }
  const entry = spec.payload.extend({ time: z.string().regex(TIME), site: z.string(), type: z.literal(spec.type) }).strict() as unknown as z.ZodType<EntryFields>;
  return Object.freeze({ type: spec.type, version: spec.version, capability: spec.capability, payload: spec.payload, entry });
}

/** Why an entry was refused at append. */
export class EntryRefused extends Error {
  constructor(
    readonly code: 'unknown_type' | 'bad_entry',
    message: string,
  ) {
    super(message);
    this.name = 'EntryRefused';
  }
}

/** The types one site's log accepts: those its modules registered. */
export class EntryTypes {
  private readonly byType = new Map<string, { t: EntryType; writers: Set<string> }>();

  /** Registers a type for a module; the same definition again is fine (two modules writing it), another one of the same name is not. */
  register(t: EntryType, module: string): void {
    const had = this.byType.get(t.type);
    if (had && had.t !== t) throw new Error(`two definitions of log entry type "${t.type}" (${had.t.capability}, listed by ${[...had.writers].join(', ')}; and ${t.capability}, listed by ${module})`);
    if (had) had.writers.add(module);
    else this.byType.set(t.type, { t, writers: new Set([module]) });
  }

  get(type: string): EntryType | undefined {
    return this.byType.get(type)?.t;
  }

  /** Every registered type with the modules that listed it, by type name. */
  list(): { type: string; version: number; capability: string; writers: string[] }[] {
    return [...this.byType.values()].map(({ t, writers }) => ({ type: t.type, version: t.version, capability: t.capability, writers: [...writers] })).sort((a, b) => (a.type < b.type ? -1 : 1));
  }

  /** Entries already checked by `seal`: frozen, so they are still what was checked. */
  private readonly sealed = new WeakSet<EntryFields>();

  /**
   * Checks an entry ahead of its append and freezes it, so that append need
   * not parse it again (a caller that commits something the entry records must
   * know before the commit that the entry will be taken; see paid key issue).
   */
  seal(site: string, fields: EntryFields): Readonly<EntryFields> {
    this.check(site, fields);
    if (fields.order) Object.freeze(fields.order);
    this.sealed.add(Object.freeze(fields));
    return fields;
  }

  /** Throws EntryRefused unless `fields` is an entry of a registered type, for this site, with a payload its schema accepts. */
  check(site: string, fields: EntryFields): void {
    if (this.sealed.has(fields) && fields.site === site) return;
    const t = this.byType.get(fields?.type);
    if (!t) throw new EntryRefused('unknown_type', `no module of this site registered log entry type ${JSON.stringify(fields?.type)}; registered: ${[...this.byType.keys()].join(', ') || 'none'}`);
    const r = t.t.entry.safeParse(fields);
    if (!r.success) throw new EntryRefused('bad_entry', `a ${fields.type} entry does not match its schema: ${r.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ')}`);
    if (fields.site !== site) throw new EntryRefused('bad_entry', `a ${fields.type} entry for site ${JSON.stringify(fields.site)} cannot go into the log of ${site}`);
  }
}
