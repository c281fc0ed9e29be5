import vm from 'node:vm';
import ejs from 'ejs';

// A guard against runaway template code (an endless loop), not a performance budget:
// it is wall-clock time, so it must stay well above a GC pause on a busy machine.
const RENDER_TIMEOUT_MS = 2000;
const MAX_INCLUDE_DEPTH = 16;

// Runs inside the context. Only strings cross the boundary (input JSON in,
// HTML out), so no object from our realm is reachable from template code.
const RUNTIME = `
var __t = Object.create(null);
function __dirname(p) { var i = p.lastIndexOf('/'); return i < 0 ? '' : p.slice(0, i); }
function __resolve(from, p) {
  if (typeof p !== 'string') throw new Error('include needs a template name');
  var parts = (p.charAt(0) === '/' ? p.slice(1) : (__dirname(from) ? __dirname(from) + '/' : '') + p).split('/');
  var out = [];
  for (var i = 0; i < parts.length; i++) {
    if (parts[i] === '' || parts[i] === '.') continue;
    if (parts[i] === '..') { if (!out.length) throw new Error('include outside templates: ' + p); out.pop(); continue; }
    out.push(parts[i]);
  }
  var name = out.join('/');
  if (!/\\.ejs$/.test(name)) name += '.ejs';
  return name;
}
function __run(name, locals, depth) {
  if (depth > ${MAX_INCLUDE_DEPTH}) throw new Error('includes nested too deep at ' + name);
  var fn = __t[name];
  if (!fn) throw new Error('template not found: ' + name);
  return fn(locals, undefined, function include(p, data) {
    var merged = {};
    for (var k in locals) merged[k] = locals[k];
    if (data) for (var k2 in data) merged[k2] = data[k2];
    return __run(__resolve(name, p), merged, depth + 1);
  });
}
function __render() { var input = JSON.parse(__input); return String(__run(input.name, input.locals, 0)); }
`;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * A set of EJS templates from one release, compiled once into an isolated
 * context: template code sees its data and JavaScript's built-ins, but not
 * `process`, `require`, the file system or any object of the server's own;
 * includes resolve only to templates of the same set; each render has a time
 * limit. (vm is a guard against mistakes and casual abuse, not a boundary
 * against a determined attacker: the main operator who signs releases is trusted
 * with templates, which is the partnership's premise.)
 */
export class TemplateSandbox {
  private readonly context: vm.Context;
  private readonly names = new Set<string>();

  constructor(templates: Map<string, string>) {
    this.context = vm.createContext(Object.create(null) as object, { codeGeneration: { strings: false, wasm: false } });
    vm.runInContext(RUNTIME, this.context);
    for (const [name, source] of templates) this.add(name, source);
  }

  /** Adds a template under a name (e.g. "layout.ejs", "partials/nav.ejs", or a page's own path). */
  add(name: string, source: string): void {
    let fnSource: string;
    try {
      fnSource = ejs.compile(source, { client: true, filename: name, compileDebug: true }).toString();
    } catch (err) {
      throw new TemplateError(`${name}: ${(err as Error).message}`);
    }
    vm.runInContext(`__t[${JSON.stringify(name)}] = (${fnSource});`, this.context);
    this.names.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Renders a template with JSON-serialisable locals. */
  render(name: string, locals: unknown): string {
    this.context.__input = JSON.stringify({ name, locals });
    try {
      return vm.runInContext('__render()', this.context, { timeout: RENDER_TIMEOUT_MS }) as string;
    } catch (err) {
      throw new TemplateError(`rendering ${name} failed: ${(err as Error).message}`);
    }
  }
}
