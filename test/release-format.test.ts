import assert from 'node:assert/strict';
import { applyDelta, compareManifests, manifestDelta } from '../common/release/diff.js';
import { decodeBlobFrames, encodeBlobFrames } from '../common/release/blob-frames.js';
import { checkPath, filterForPartnership, manifestRoot, pageUrlPath, sha256Hex, validateManifest, type Manifest } from '../common/release/manifest.js';
import { TemplateSandbox } from '../common/render/sandbox.js';
import { parseFrontMatter } from '../common/render/front-matter.js';

const e = (path: string, content: string, kind: 'page' | 'template' | 'asset' | 'catalog' = 'page') => ({ path, sha256: sha256Hex(content), size: content.length, kind });

describe('release format', () => {
  it('accepts well-formed paths and refuses unsafe ones with a reason', () => {
    assert.deepEqual(checkPath('pages/about.md'), { kind: 'page' });
    assert.deepEqual(checkPath('templates/partials/nav.ejs'), { kind: 'template' });
    for (const bad of ['../x', 'pages/../x.md', '/pages/x.md', 'pages\\x.md', 'pages/.env', 'pages', 'secret/x', 'pages/a b.md', 'C:/pages/x.md', 'pages/' + 'a/'.repeat(10) + 'x.md']) {
      assert.ok('problem' in checkPath(bad), bad);
    }
  });

  it('computes one root per content, independent of order', () => {
    const m: Manifest = [e('pages/b.md', 'b'), e('pages/a.md', 'a')];
    assert.equal(manifestRoot(m), manifestRoot([...m].reverse()));
    assert.notEqual(manifestRoot(m), manifestRoot([e('pages/b.md', 'B'), e('pages/a.md', 'a')]));
  });

  it('turns a base into a target with a delta, and refuses a delta that does not fit the base', () => {
    const base: Manifest = [e('pages/a.md', 'a'), e('pages/b.md', 'b'), e('assets/x.css', 'x', 'asset')];
    const target: Manifest = [e('pages/a.md', 'a2'), e('assets/x.css', 'x', 'asset'), e('pages/c.md', 'c')];
    const d = manifestDelta(base, target);
    assert.deepEqual(d.remove, ['pages/b.md']);
    assert.deepEqual(d.upsert.map((x) => x.path).sort(), ['pages/a.md', 'pages/c.md']);
    assert.equal(manifestRoot(validateManifest(applyDelta(base, d))), manifestRoot(target));
    assert.throws(() => applyDelta([e('pages/a.md', 'a')], d), /does not have/);
    const c = compareManifests(base, target);
    assert.deepEqual([c.added.length, c.changed.length, c.removed.length], [1, 1, 1]);
  });

  it('filters a release by partnership type', () => {
    const m: Manifest = [e('pages/a.md', 'a'), e('templates/layout.ejs', 'l', 'template'), e('catalog/p.json', '{}', 'catalog')];
    assert.equal(filterForPartnership(m, 'content').length, 3);
    assert.deepEqual(
      filterForPartnership(m, 'template').map((x) => x.kind),
      ['template'],
    );
    assert.deepEqual(filterForPartnership(m, 'link'), []);
  });

  it('maps page files to URLs', () => {
    assert.equal(pageUrlPath('pages/index.md'), '/');
    assert.equal(pageUrlPath('pages/about.md'), '/about');
    assert.equal(pageUrlPath('pages/docs/index.html'), '/docs');
    assert.equal(pageUrlPath('assets/x.css'), null);
  });

  it('frames blobs and refuses truncated frames', () => {
    const frames = [
      { sha256: sha256Hex('a'), data: Buffer.from('a') },
      { sha256: sha256Hex('bb'), data: Buffer.from('bb') },
    ];
    const buf = encodeBlobFrames(frames);
    assert.deepEqual(
      decodeBlobFrames(buf).map((f) => f.data.toString()),
      ['a', 'bb'],
    );
    assert.throws(() => decodeBlobFrames(buf.subarray(0, buf.length - 1)), /truncated/);
  });

  it('parses front matter', () => {
    const fm = parseFrontMatter('---\ntitle: "Hi"\nnav: 2\npublished: false\n---\n# Body\n');
    assert.deepEqual(fm.attributes, { title: 'Hi', nav: 2, published: false });
    assert.equal(fm.body, '# Body\n');
  });
});

describe('template sandbox', () => {
  const sandbox = (templates: Record<string, string>) => new TemplateSandbox(new Map(Object.entries(templates)));

  it('renders with includes from the same set and escapes output', () => {
    const s = sandbox({ 'layout.ejs': '<%- include("partials/x", { y: 2 }) %>|<%= name %>', 'partials/x.ejs': 'x<%= y %>' });
    assert.equal(s.render('layout.ejs', { name: '<script>' }), 'x2|&lt;script&gt;');
  });

  it('gives templates no process, require or code generation, no way out of the set, and a time limit', () => {
    const s = sandbox({
      'a.ejs': '<%= typeof process %> <%= typeof require %> <%= typeof globalThis.process %>',
      'fn.ejs': '<%= (function(){}).constructor("return process")() %>',
      'up.ejs': '<%- include("../../../etc/passwd") %>',
      'loop.ejs': '<% for(;;){} %>',
    });
    assert.equal(s.render('a.ejs', {}), 'undefined undefined undefined');
    assert.throws(() => s.render('fn.ejs', {}), /Code generation from strings disallowed|EvalError/);
    assert.throws(() => s.render('up.ejs', {}), /outside templates/);
    assert.throws(() => s.render('loop.ejs', {}), /timed out/);
  });
});
