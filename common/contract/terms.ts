import type { z } from 'zod';
import { AppError, groundErrors } from '../errors.js';

/**
 * Contract terms, one slice per capability.
 *
 * A partner's contract (the peer's `contract_json`) is an object with one key
 * per capability that has terms ("sync", "shop", "users", ...). Under its key,
 * each capability keeps its slice in the STORED FORM:
 *
 *     { "v": <the slice's version>, ...every field of that version }
 *
 * Defaults exist only when terms are WRITTEN (the main site's console API, an
 * enrolment): the given fields are parsed strictly by the slice's schema, its
 * defaults fill what was not given, and the result is stored complete. Reading
 * never fills anything in: a stored slice must parse strictly AND already hold
 * every field a default would add, or it is reported as a problem
 * ("sync.requiresApproval: ...") and code that needs it refuses to act for that
 * partner. A slice that is absent is not a problem: what absence means is each
 * capability's decision, documented beside its slice (`whenAbsent`).
 *
 * Only the main site writes terms. A partner stores the slices exactly as the
 * main site sent them, after checking each in its stored form (`accept`).
 */
export interface TermsSlice<S extends z.ZodType = z.ZodType> {
  /** Where the slice sits in a contract: the owning capability's name. */
  readonly key: string;
  /** The version this code writes; stored as "v". A stored slice of a lower version is read through `migrate`. */
  readonly version: number;
  /**
   * The fields of the current version: a strict object (unknown fields are
   * refused, with their name). Defaults are allowed and apply only on write.
   */
  readonly schema: S;
  /** What a contract without this slice means (shown in docs and errors). */
  readonly whenAbsent: string;
  /** The fields of an older stored version, turned into the current version's complete fields. */
  migrate?(stored: Record<string, unknown>, fromVersion: number): unknown;
  /**
   * The one-time upgrade of contracts written before slices existed (sync
   * terms at the top level, shop terms under "shop" with userCopy inside):
   * which old top-level keys this slice takes, and its input built from them
   * (undefined when the old contract had none of it).
   */
  readonly unsliced?: { keys: readonly string[]; take(old: Record<string, unknown>): unknown };
}

export type TermsOf<S extends TermsSlice> = z.output<S['schema']>;

/** Declares a slice with its terms type inferred from the schema. */
export function defineTermsSlice<S extends z.ZodType>(slice: TermsSlice<S>): TermsSlice<S> {
  if (!/^[a-z][a-zA-Z0-9]{0,31}$/.test(slice.key)) throw new Error(`terms slice key "${slice.key}" must be a short lower-camel name`);
  if (!Number.isSafeInteger(slice.version) || slice.version < 1) throw new Error(`terms slice "${slice.key}" needs a version >= 1`);
  return slice;
}

/** What a reader gets: the terms, `null` when the contract has no such slice, or the problem that makes it unreadable. */
export type TermsRead<T> = { ok: true; terms: T } | { ok: true; terms: null } | { ok: false; problem: string };

declare const storedBrand: unique symbol;
/**
 * A contract as written by the main site's write path (`ContractTerms.initial`,
 * `.patch`) or accepted by a partner from the main site (`.accept`). The peer
 * store takes only this type, so nothing can store terms that skipped the checks.
 */
export type StoredContract = Readonly<Record<string, unknown>> & { readonly [storedBrand]: true };

/** No terms at all: a partner before the main site has sent any. */
export const EMPTY_CONTRACT = Object.freeze({}) as StoredContract;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

const pathText = (path: readonly PropertyKey[]): string => path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');

/** One line per problem, "<prefix>.<field path>: <reason>"; an unknown field is named in the path. */
function issueLines(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const i of issues) {
    const at = (extra: readonly PropertyKey[] = []) => pathText([prefix, ...i.path, ...extra]);
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push(`${at([k])}: unknown field`);
    } else if (i.code === 'invalid_union' && i.errors.length) {
      // Name the problem in the alternative that came closest, not just "invalid input".
      const best = [...i.errors].sort((a, b) => a.length - b.length)[0]!;
      out.push(...(best.length ? issueLines(at(), best) : [`${at()}: ${i.message}`]));
    } else {
      out.push(`${at()}: ${i.message}`);
    }
  }
  return out;
}

/** Where `output` (the schema's result) differs from `input`: a field a default had to add, or a value the schema rewrote. */
function firstDifference(input: unknown, output: unknown, path: PropertyKey[] = []): { path: PropertyKey[]; missing: boolean } | null {
  if (isPlainObject(output)) {
    if (!isPlainObject(input)) return { path, missing: false };
    for (const k of Object.keys(output)) {
      if (!(k in input)) return { path: [...path, k], missing: true };
      const d = firstDifference(input[k], output[k], [...path, k]);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(output)) {
    if (!Array.isArray(input) || input.length !== output.length) return { path, missing: false };
    for (let i = 0; i < output.length; i++) {
      const d = firstDifference(input[i], output[i], [...path, i]);
      if (d) return d;
    }
    return null;
  }
  return Object.is(input, output) ? null : { path, missing: false };
}

/** A slice in its stored form, checked: the complete fields of the current version (older versions migrated). */
export function parseStoredSlice<S extends z.ZodType>(slice: TermsSlice<S>, raw: unknown, prefix: string = slice.key): { ok: true; terms: z.output<S> } | { ok: false; problems: string[] } {
  const fail = (...problems: string[]) => ({ ok: false as const, problems });
  if (!isPlainObject(raw)) return fail(`${prefix}: stored terms must be an object, found ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  const { v, ...fields } = raw;
  if (!Number.isSafeInteger(v) || (v as number) < 1) return fail(`${prefix}.v: missing or not a version number (stored terms carry the version they were written in)`);
  const version = v as number;
  if (version > slice.version) return fail(`${prefix}.v: version ${version} is newer than this site reads (version ${slice.version})`);
  let current: unknown = fields;
  if (version < slice.version) {
    if (!slice.migrate) return fail(`${prefix}.v: version ${version} is older than ${slice.version} and cannot be read any more`);
    try {
      current = slice.migrate(fields, version);
    } catch (err) {
      return fail(`${prefix}.v: version ${version} cannot be migrated: ${(err as Error).message}`);
    }
  }
  const r = slice.schema.safeParse(current);
  if (!r.success) return fail(...issueLines(prefix, r.error.issues));
  const d = firstDifference(current, r.data);
  if (d) {
    return fail(
      d.missing ? `${pathText([prefix, ...d.path])}: missing (stored terms are complete; defaults apply only when terms are written)` : `${pathText([prefix, ...d.path])}: not in its stored form`,
    );
  }
  return { ok: true, terms: r.data };
}

/**
 * Reads one capability's terms from a stored contract: strictly, never with
 * defaults. `terms: null` means the contract has no such slice (see the
 * slice's `whenAbsent`); `ok: false` names what makes the stored slice unreadable.
 */
export function readTerms<S extends z.ZodType>(contract: Readonly<Record<string, unknown>>, slice: TermsSlice<S>): TermsRead<z.output<S>> {
  const raw = contract[slice.key];
  if (raw === undefined) return { ok: true, terms: null };
  const r = parseStoredSlice(slice, raw);
  return r.ok ? r : { ok: false, problem: r.problems.join('; ') };
}

/** A slice written from given fields: parsed strictly, defaults filled, stamped with the version. */
function writeSlice(slice: TermsSlice, given: unknown, prefix: string): { ok: true; stored: Record<string, unknown> } | { ok: false; problems: string[] } {
  if (!isPlainObject(given)) return { ok: false, problems: [`${prefix}: terms are an object of fields`] };
  const { v, ...fields } = given;
  // "v" may come back as the API showed it; it must then be the version this site writes.
  if (v !== undefined && v !== slice.version) return { ok: false, problems: [`${prefix}.v: this site writes version ${slice.version} of these terms`] };
  const r = slice.schema.safeParse(fields);
  if (!r.success) return { ok: false, problems: issueLines(prefix, r.error.issues) };
  return { ok: true, stored: { v: slice.version, ...(r.data as Record<string, unknown>) } };
}

export const invalidContract = (problems: string[]): AppError => groundErrors.invalid_contract(`the contract is refused: ${problems.join('; ')}`, { problems });

/**
 * The terms of one kind of site: the slices its capability modules declare,
 * collected from the module list, so a new capability's terms need no edit
 * here or in the partners API.
 */
export class ContractTerms {
  private readonly byKey = new Map<string, TermsSlice>();

  constructor(readonly slices: readonly TermsSlice[]) {
    for (const s of slices) {
      if (this.byKey.has(s.key)) throw new Error(`two capabilities declare contract terms under "${s.key}"`);
      this.byKey.set(s.key, s);
    }
  }

  slice(key: string): TermsSlice | undefined {
    return this.byKey.get(key);
  }

  private unowned(key: string): string {
    return `contract.${key}: no capability owns this key (terms go under ${[...this.byKey.keys()].map((k) => `"${k}"`).join(', ') || 'no key on this site'})`;
  }

  /**
   * Main site, a new partner: every slice of the site written from what was
   * given, or from its defaults alone when nothing was given for it (a slice
   * whose schema has required fields must then be given). Throws 400
   * invalid_contract naming every problem; nothing is written.
   */
  initial(given: unknown = {}): StoredContract {
    return this.write({}, given ?? {}, true);
  }

  /**
   * Main site, a change: each given slice REPLACES the stored one wholesale
   * (written from the given fields and defaults, as at enrolment); slices not
   * given stay exactly as stored. Throws 400 invalid_contract; nothing is written.
   */
  patch(current: Readonly<Record<string, unknown>>, given: unknown): StoredContract {
    return this.write(current, given, false);
  }

  private write(current: Readonly<Record<string, unknown>>, given: unknown, everySlice: boolean): StoredContract {
    if (!isPlainObject(given)) throw invalidContract(['contract: must be an object with one key per capability, e.g. {"sync": {...}}']);
    const problems: string[] = [];
    const out: Record<string, unknown> = { ...current };
    for (const key of Object.keys(given)) if (!this.byKey.has(key)) problems.push(this.unowned(key));
    for (const s of this.slices) {
      if (given[s.key] === undefined && !everySlice) continue;
      const w = writeSlice(s, given[s.key] ?? {}, `contract.${s.key}`);
      if (w.ok) out[s.key] = w.stored;
      else problems.push(...w.problems);
    }
    if (problems.length) throw invalidContract(problems);
    return out as StoredContract;
  }

  /**
   * Partner: the contract as the main site sent it. Every slice must be one
   * this site knows, in its stored form; nothing is filled in. The partner
   * stores the result as it is. Throws 400 invalid_contract.
   */
  accept(sent: unknown): StoredContract {
    if (!isPlainObject(sent)) throw invalidContract(['contract: must be an object with one key per capability']);
    const problems: string[] = [];
    for (const [key, raw] of Object.entries(sent)) {
      const s = this.byKey.get(key);
      if (!s) problems.push(this.unowned(key));
      else {
        const r = parseStoredSlice(s, raw, `contract.${key}`);
        if (!r.ok) problems.push(...r.problems);
      }
    }
    if (problems.length) throw invalidContract(problems);
    return { ...sent } as StoredContract;
  }

  /** What is wrong with a stored contract: unreadable slices and keys no capability owns. An absent slice is no problem. */
  problems(contract: Readonly<Record<string, unknown>>): string[] {
    const out: string[] = [];
    for (const key of Object.keys(contract)) if (!this.byKey.has(key)) out.push(`${key}: no capability of this site owns this key`);
    for (const s of this.slices) {
      if (contract[s.key] === undefined) continue;
      const r = parseStoredSlice(s, contract[s.key]);
      if (!r.ok) out.push(...r.problems);
    }
    return out;
  }

  /**
   * Main site: the slices a partner is sent (with each offer, with each shop
   * state), exactly as stored; or, when any slice is unreadable, the problems,
   * and nothing is sent. Keys no capability owns stay behind (`problems`
   * reports them); no reader depends on them.
   */
  toSend(contract: Readonly<Record<string, unknown>>): { ok: true; contract: StoredContract } | { ok: false; problems: string[] } {
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const s of this.slices) {
      if (contract[s.key] === undefined) continue;
      const r = parseStoredSlice(s, contract[s.key]);
      if (r.ok) out[s.key] = contract[s.key];
      else problems.push(...r.problems);
    }
    return problems.length ? { ok: false, problems } : { ok: true, contract: out as StoredContract };
  }

  /**
   * A contract from before slices, in the stored form: each slice built from
   * the old keys it takes. `everySlice` (the main site's own records of its
   * partners) also writes the slices the old contract left to defaults, since
   * that is what the old readers gave them; a partner keeps only what the main
   * site had sent. Old values that do not pass the schema are kept under the
   * slice, unexpanded, so they are reported rather than replaced; so are old
   * keys no slice takes.
   */
  upgradeUnsliced(old: Record<string, unknown>, everySlice: boolean): { contract: StoredContract; problems: string[] } {
    const out: Record<string, unknown> = {};
    const taken = new Set<string>();
    const problems: string[] = [];
    for (const s of this.slices) {
      for (const k of s.unsliced?.keys ?? []) taken.add(k);
      const input = s.unsliced?.take(old);
      if (input === undefined && !everySlice) continue;
      const w = writeSlice(s, input ?? {}, s.key);
      if (w.ok) out[s.key] = w.stored;
      else {
        out[s.key] = isPlainObject(input) ? { v: s.version, ...input } : input;
        problems.push(...w.problems);
      }
    }
    for (const [k, v] of Object.entries(old)) if (!taken.has(k) && !(k in out)) out[k] = v;
    return { contract: out as StoredContract, problems };
  }
}
