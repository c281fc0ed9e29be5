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

function walk(s: JsonSchema, path: string[], required: boolean, out: FormField[]): void {
  const type = Array.isArray(s.type) ? undefined : s.type;
  const defaultText = s.default === undefined ? null : JSON.stringify(s.default);
  const base = { name: path.join('.'), path, defaultText, required: required && s.default === undefined, constraint: constraintOf(s) };
  if (type === 'object' && s.properties) {
    for (const [k, sub] of Object.entries(s.properties)) walk(sub, [...path, k], (s.required ?? []).includes(k), out);
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
        problems[f.name] = `not valid JSON: ${(err as Error).message}`;
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
