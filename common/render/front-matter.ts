/**
 * Front matter for Markdown pages: a block of "key: value" lines between two
 * "---" lines at the very top. Values are strings, except true/false and numbers.
 * Deliberately small: page metadata is a title, a nav order, published or not.
 */
export interface FrontMatter {
  attributes: Record<string, string | number | boolean>;
  body: string;
}

export function parseFrontMatter(source: string): FrontMatter {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(source);
  if (!m) return { attributes: {}, body: source };
  const attributes: Record<string, string | number | boolean> = {};
  for (const line of m[1]!.split(/\r?\n/)) {
    const kv = /^([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*)$/.exec(line.trim());
    if (!kv) continue;
    let v: string | number | boolean = kv[2]!.trim().replace(/^(["'])(.*)\1$/, '$2');
    if (v === 'true') v = true;
    else if (v === 'false') v = false;
    else if (/^-?\d+(\.\d+)?$/.test(v)) v = Number(v);
    attributes[kv[1]!] = v;
  }
  return { attributes, body: source.slice(m[0].length) };
}
