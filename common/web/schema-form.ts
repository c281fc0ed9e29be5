import { z } from 'zod';

/**
 * Console forms generated from a zod object schema (contract terms slices), so
 * a form never drifts from the schema that checks what it posts: the fields
 * come from the schema's JSON Schema (zod's own `toJSONSchema`), the posted
 * values are turned back into the object the JSON API would take, and that
 * object is checked by the schema itself. Works without JavaScript.
 *
 * Booleans and enums become selects, numbers and strings inputs, nested
 * objects their fields ("consult.handlingFee"), and anything else (arrays,
 * unions) a JSON text area. An empty input means "not given": the schema's
 * default applies, or an optional field stays absent, as in the API.
 */
export interface FormField {
  /** The dotted path, also the form field's name: "consult.handlingFee". */
  name: string;
  path: string[];
  /** What the form calls it: the schema's `.meta({ title })` beside the field, else its key in words ("Approval required"). */
  label: string;
  /** A short hint under the field: the schema's `.meta({ description })`, if any. */
  help: string | null;
  /** The unit a number is counted in (`.meta({ unit: 'cents' })`), said in messages ("a whole number of cents"). */
  unit: string | null;
  /** What a text must look like, in words (`.meta({ expects })`), said when it does not. */
  expects: string | null;
  kind: 'boolean' | 'enum' | 'integer' | 'number' | 'text' | 'json';
  /** For enums (and booleans: "true", "false"). */
  options: string[];
  /** What the schema fills in when the field is not given (JSON text), if anything. */
  defaultText: string | null;
  /** Whether the schema needs a value (no default, not optional). */
  required: boolean;
  /** What the JSON Schema says about the value (pattern, bounds, length), for the hint beside the field. */
  constraint: string | null;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  format?: string;
  title?: string;
  description?: string;
  unit?: string;
  expects?: string;
};

/** "approvalRequired" -> "Approval required", for a field whose schema declares no title. */
const words = (key: string): string => {
  const w = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
};

function constraintOf(s: JsonSchema): string | null {
  const out: string[] = [];
  if (s.minimum !== undefined && s.maximum !== undefined) out.push(`${s.minimum}–${s.maximum}`);
  else if (s.minimum !== undefined) out.push(`at least ${s.minimum}`);
  else if (s.maximum !== undefined) out.push(`at most ${s.maximum}`);
  if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
  if (s.pattern !== undefined && s.format === undefined) out.push(`matches ${s.pattern}`);
  if (s.maxItems !== undefined) out.push(`a JSON array of at most ${s.maxItems}`);
  return out.length ? out.join(', ') : null;
}

function walk(s: JsonSchema, path: string[], required: boolean, out: FormField[], parentLabel: string | null = null): void {
  const type = Array.isArray(s.type) ? undefined : s.type;
  const defaultText = s.default === undefined ? null : JSON.stringify(s.default);
  const key = path[path.length - 1] ?? '';
  const label = s.title ?? (parentLabel ? `${parentLabel}: ${words(key).toLowerCase()}` : words(key));
  const base = {
    name: path.join('.'),
    path,
    label,
    help: s.description ?? null,
    unit: s.unit ?? null,
    expects: s.expects ?? null,
    defaultText,
    required: required && s.default === undefined,
    constraint: constraintOf(s),
  };
  if (type === 'object' && s.properties) {
    for (const [k, sub] of Object.entries(s.properties)) walk(sub, [...path, k], (s.required ?? []).includes(k), out, path.length ? label : null);
  } else if (type === 'boolean') out.push({ ...base, kind: 'boolean', options: ['true', 'false'] });
  else if (s.enum && s.enum.every((v) => typeof v === 'string')) out.push({ ...base, kind: 'enum', options: s.enum });
  else if (type === 'integer' || type === 'number') out.push({ ...base, kind: type, options: [] });
  else if (type === 'string') out.push({ ...base, kind: 'text', options: [] });
  else out.push({ ...base, kind: 'json', options: [] });
}

/** The form fields of a strict object schema, in the schema's order. */
export function formFields(schema: z.ZodType): FormField[] {
  // Refinements (a cron check) cannot be said in JSON Schema: they are still checked, by the schema itself, on submit.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: FormField[] = [];
  walk(json, [], true, out);
  return out;
}

const at = (obj: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined), obj);

/** The text each field shows for stored values (absent fields show empty, so the default applies again). */
export function formValues(fields: readonly FormField[], values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = at(values, f.path);
    out[f.name] = v === undefined ? '' : f.kind === 'json' ? JSON.stringify(v, null, 1) : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** The posted text of every field, kept as typed so a refused form shows what was sent. */
export function postedValues(fields: readonly FormField[], body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.name, typeof body[f.name] === 'string' ? (body[f.name] as string) : '']));
}

/**
 * The object the posted text stands for, as the JSON API would have been
 * sent it: empty fields left out, booleans and numbers turned into theirs
 * (text that is not one is passed on as text, so the schema refuses it with
 * its own message), JSON areas parsed. Text that is not JSON is the one
 * problem found here, named by field.
 */
export function valueFromForm(fields: readonly FormField[], posted: Record<string, string>): { value: Record<string, unknown>; problems: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  const put = (path: readonly string[], v: unknown) => {
    let o = value;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]!] = v;
  };
  for (const f of fields) {
    const text = (posted[f.name] ?? '').trim();
    if (text === '') continue;
    if (f.kind === 'boolean') put(f.path, text === 'true' ? true : text === 'false' ? false : text);
    else if (f.kind === 'integer' || f.kind === 'number') put(f.path, /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);
    else if (f.kind === 'json') {
      try {
        put(f.path, JSON.parse(text) as unknown);
      } catch (err) {
        problems[f.name] = `${f.label} is not valid JSON (${(err as Error).message})`;
      }
    } else put(f.path, text);
  }
  return { value, problems };
}

/**
 * Which field a schema problem belongs to: `problem` is "<path>: <message>"
 * with the path relative to the form's object ("consult.handlingFee",
 * "freezeWindows[0].daily"); the field is the longest field name that starts
 * it. Null when no field does (the problem is shown above the form).
 */
export function fieldOfProblem(fields: readonly FormField[], path: string): string | null {
  let best: string | null = null;
  for (const f of fields) {
    if (path === f.name || path.startsWith(`${f.name}.`) || path.startsWith(`${f.name}[`)) {
      if (!best || f.name.length > best.length) best = f.name;
    }
  }
  return best;
}

const pathText = (path: readonly PropertyKey[]): string => path.reduce<string>((t, p) => (typeof p === 'number' ? `${t}[${p}]` : t ? `${t}.${String(p)}` : String(p)), '');

const TYPE_WORDS: Record<string, string> = { string: 'text', boolean: 'yes or no', array: 'a JSON array', object: 'a JSON object', number: 'a number', int: 'a whole number' };

/** One zod issue in words, for a person: what the named field must be. */
function issueText(f: FormField | null, i: z.core.$ZodIssue, rest: string): string {
  const label = f?.label ?? (pathText(i.path) || 'The terms');
  // Inside a JSON field ("freezeWindows[0].daily"): say which entry.
  const entry = /^\[(\d+)\]\.?(.*)$/.exec(rest);
  const where = !rest ? '' : entry ? ` (entry ${Number(entry[1]) + 1}${entry[2] ? `, ${entry[2]}` : ''})` : ` (${rest})`;
  const unit = f?.unit ? ` of ${f.unit}` : '';
  const units = f?.unit ? ` ${f.unit}` : '';
  switch (i.code) {
    case 'invalid_type': {
      if (i.expected === 'int' || (i.expected === 'number' && f?.kind === 'integer')) return `${label}${where} must be a whole number${unit}`;
      if (i.expected === 'number') return `${label}${where} must be a number${unit}`;
      if (i.expected === 'boolean') return `${label}${where} must be yes or no`;
      return `${label}${where} must be ${TYPE_WORDS[i.expected] ?? i.expected}`;
    }
    case 'too_small': {
      const n = Number(i.minimum);
      if (i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint')
        return n === 0 && i.inclusive !== false ? `${label}${where} must not be negative` : `${label}${where} must be ${i.inclusive === false ? 'more than' : 'at least'} ${n}${units}`;
      if (i.origin === 'string') return `${label}${where} must be at least ${n} character${n === 1 ? '' : 's'} long`;
      return `${label}${where} must have at least ${n} entr${n === 1 ? 'y' : 'ies'}`;
    }
    case 'too_big': {
      const n = Number(i.maximum);
      if (i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint') return `${label}${where} must be ${i.inclusive === false ? 'less than' : 'at most'} ${n}${units}`;
      if (i.origin === 'string') return `${label}${where} must be at most ${n} character${n === 1 ? '' : 's'} long`;
      return `${label}${where} must have at most ${n} entr${n === 1 ? 'y' : 'ies'}`;
    }
    case 'invalid_value':
      return `${label}${where} must be one of: ${i.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      // A message the schema wrote itself (the freeze window's "daily windows look like ...") says more than "invalid".
      if (!i.message.startsWith('Invalid')) return `${label}${where}: ${i.message}`;
      return `${label}${where} must be ${f?.expects && !rest ? f.expects : i.format === 'regex' ? `text matching ${String((i as { pattern?: unknown }).pattern)}` : `a valid ${i.format}`}`;
    case 'unrecognized_keys':
      return `${label}${where}: unknown field${i.keys.length === 1 ? '' : 's'} ${i.keys.join(', ')}`;
    default:
      // A refinement's own words ("must be a cron expression ..."), after the field's name.
      return `${label}${where}: ${i.message.replace(/^Invalid input: /, '')}`;
  }
}

/**
 * The schema's verdict on a form's value, in words a person reads, each beside
 * its field ("Fee per consulted order must be a whole number of cents"): the
 * same schema the API checks with, so a form refuses exactly what the API
 * refuses. Issues of no field (an unknown key) go to `general`. A union's
 * problem is told from the alternative that came closest.
 */
export function formProblems(fields: readonly FormField[], schema: z.ZodType, value: unknown): { errors: Record<string, string>; general: string[] } | null {
  const r = schema.safeParse(value);
  if (r.success) return null;
  const errors: Record<string, string> = {};
  const general: string[] = [];
  const add = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]) => {
    for (const raw of issues) {
      const i = { ...raw, path: [...prefix, ...raw.path] } as z.core.$ZodIssue;
      if (i.code === 'invalid_union' && i.errors.length) {
        const best = [...i.errors].sort((a, b) => a.length - b.length)[0]!;
        if (best.length) {
          add(best, i.path);
          continue;
        }
      }
      const at = pathText(i.path);
      const name = at ? fieldOfProblem(fields, at) : null;
      const f = name ? (fields.find((x) => x.name === name) ?? null) : null;
      const rest = f ? at.slice(f.name.length).replace(/^\./, '') : '';
      const text = issueText(f, i, rest);
      if (name) errors[name] ??= text;
      else general.push(text);
    }
  };
  add(r.error.issues, []);
  return { errors, general };
}
