import assert from 'node:assert/strict';
import { componentsOfSource, jobJsonLd, jobMethodAddition, parseJobMethod, type JobMethod } from '../common/coord/index.js';
import { addMarkdownAddition, DEFAULT_LOOK, PageRenderer } from '../common/render/page-renderer.js';

const PANCAKES = `---
title: Pancakes
job: recipe
servings: 4
components:
  - 250 g flour | density 0.53 g/ml
  - 2 eggs
  - 1 1/2 cup milk | or oat drink, soy drink
  - 1/2 each lemon | optional | note unwaxed
  - 1,5 tbsp sugar
nav: 3
---
# Pancakes

Mix, rest, fry.
`;

function ok(source: string): JobMethod {
  const r = parseJobMethod(source);
  assert.ok(r !== null && r.ok, JSON.stringify(r));
  return r.job;
}

describe('coord job pages: component lists in front matter (claims 1, 7, 23)', () => {
  it('reads quantities (decimals, commas, fractions), units, names and every modifier', () => {
    const job = ok(PANCAKES);
    assert.equal(job.kind, 'recipe');
    assert.equal(job.title, 'Pancakes');
    assert.equal(job.list.servings, 4);
    assert.deepEqual(job.list.components, [
      { name: 'flour', quantity: 250, unit: 'g', optional: false, alternatives: [], density: '0.53 g/ml' },
      { name: 'eggs', quantity: 2, unit: 'each', optional: false, alternatives: [] },
      { name: 'milk', quantity: 1.5, unit: 'cup', optional: false, alternatives: ['oat drink', 'soy drink'] },
      { name: 'lemon', quantity: 0.5, unit: 'each', optional: true, alternatives: [], note: 'unwaxed' },
      { name: 'sugar', quantity: 1.5, unit: 'tbsp', optional: false, alternatives: [] },
    ]);
  });

  it('an ordinary page has no job; a wrong list is an error naming the line, never a shorter list', () => {
    assert.equal(parseJobMethod('---\ntitle: About\n---\n# About\n'), null);
    assert.equal(parseJobMethod('# No front matter at all\n'), null);
    const bad = (lines: string, extra = '') => parseJobMethod(`---\ntitle: T\n${extra}components:\n${lines}\n---\nbody`);
    assert.deepEqual(bad('  - 250 g flour\n  - lots of sugar'), { ok: false, error: 'component 2: "lots of sugar" is not "<quantity> <unit> <name>"' });
    assert.deepEqual(bad('  - 250 g flour | organic'), { ok: false, error: 'component 1 (flour): "| organic" is not optional, or ..., density ... or note ...' });
    assert.deepEqual(bad('  - 0 g flour'), { ok: false, error: 'components: components.0.quantity Too small: expected number to be >0' });
    assert.match(JSON.stringify(bad('  - 1 g flour', 'job: cocktail\n')), /not recipe or howto/);
    assert.match(JSON.stringify(bad('')), /components/);
    assert.throws(() => componentsOfSource(`---\ncomponents:\n  - x g flour\n---\n`), RangeError);
  });

  it('reads the fenced form in the body the same way (servings=N on the fence)', () => {
    const src = '---\njob: howto\n---\n# Fix a dripping tap\n\n```components servings=1\n1 each washer | note 12 mm\n# a comment\n50 ml silicone grease | optional\n```\n';
    const got = componentsOfSource(src);
    assert.equal(got?.title, 'Fix a dripping tap');
    assert.deepEqual(
      got?.list.components.map((c) => [c.name, c.quantity, c.unit, c.optional]),
      [
        ['washer', 1, 'each', false],
        ['silicone grease', 50, 'ml', true],
      ],
    );
  });
});

describe('coord job pages: rendered list and schema.org JSON-LD with structured amounts', () => {
  it('a Recipe with recipeIngredient text and HowToSupply items carrying QuantitativeValues', () => {
    const ld = jobJsonLd(ok(PANCAKES), 'https://north.example/recipes/pancakes');
    assert.equal(ld['@type'], 'Recipe');
    assert.equal(ld.recipeYield, '4 servings');
    assert.deepEqual(ld.recipeIngredient, ['250 g flour', '2 eggs', '1.5 cup milk', '0.5 lemon', '1.5 tbsp sugar'], 'a count is said "2 eggs", never "2 each eggs"');
    const supply = ld.supply as Record<string, unknown>[];
    assert.deepEqual(supply[0], { '@type': 'HowToSupply', name: 'flour', requiredQuantity: { '@type': 'QuantitativeValue', value: 250, unitText: 'g', unitCode: 'GRM' } });
    assert.deepEqual(supply[3], { '@type': 'HowToSupply', name: 'lemon', requiredQuantity: { '@type': 'QuantitativeValue', value: 0.5, unitText: 'each', unitCode: 'H87' }, description: 'optional' });
    const howto = jobJsonLd(ok('---\njob: howto\ntitle: Shelf\ncomponents:\n  - 4 x wall plugs\n  - 2 clove garlic\n---\n'));
    assert.equal(howto['@type'], 'HowTo');
    assert.deepEqual((howto.supply as Record<string, unknown>[])[1], { '@type': 'HowToSupply', name: 'garlic', requiredQuantity: { '@type': 'QuantitativeValue', value: 2, unitText: 'clove' } });
  });

  it('the page renderer appends the list, the link and the JSON-LD to a job page, escaping what the page says', () => {
    addMarkdownAddition(jobMethodAddition);
    addMarkdownAddition(jobMethodAddition); // registering twice adds it once
    const renderer = new PageRenderer(new Map());
    const look = { id: 'north', name: 'North', ...DEFAULT_LOOK };
    const evil = '---\ntitle: Toast\ncomponents:\n  - 2 each bread <img src=x onerror=alert(1)></script>\n---\n# Toast\n';
    const html = renderer.render({ urlPath: '/recipes/toast', file: 'recipes/toast.md', source: evil, kind: 'tie-up' }, look, [], 1).html;
    assert.equal(html.split('class="job-components"').length, 2, 'one block');
    assert.ok(html.includes('<li data-name="bread &lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;"'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(html.includes('<a class="coord-get" href="/coord/get?page=%2Frecipes%2Ftoast">Get the components</a>'));
    const ld = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(ld, 'JSON-LD present');
    assert.ok(!(ld[1] ?? '').includes('</script'), 'a name cannot close the script element');
    const data = JSON.parse(ld[1] ?? '{}') as { supply: { name: string }[] };
    assert.equal(data.supply[0]?.name, 'bread <img src=x onerror=alert(1)></script>');
    const plain = renderer.render({ urlPath: '/about', file: 'about.md', source: '# About\n', kind: 'tie-up' }, look, [], 1).html;
    assert.ok(!plain.includes('job-components'), 'an ordinary page is unchanged');
    const broken = renderer.render({ urlPath: '/x', file: 'x.md', source: '---\ncomponents:\n  - much flour\n---\n', kind: 'original' }, look, [], 1).html;
    assert.ok(broken.includes('class="job-components-error"'));
  });
});
