import assert from 'node:assert/strict';
import { componentList, convertQuantity, mergeComponents, pickComponents, reconcileProviderLists, scaleForServings, unitKind, type ComponentListInput } from '../common/coord/index.js';

const list = (l: ComponentListInput) => componentList.parse(l);
const byName = (l: { components: { name: string; quantity: number; unit: string }[] }) => l.components.map((c) => [c.name, c.quantity, c.unit]);

describe('coord components: merging quantities across units', () => {
  it('adds the same component in different mass units, in the unit it was first seen in', () => {
    const merged = mergeComponents([
      list({ components: [{ name: 'Flour', quantity: 300, unit: 'g' }] }),
      list({ components: [{ name: 'flour', quantity: 1, unit: 'kg' }] }),
      list({ components: [{ name: ' FLOUR ', quantity: 1, unit: 'lb' }] }),
    ]);
    assert.deepEqual(byName(merged), [['Flour', 1753.59237, 'g']]);
  });

  it('adds volumes (ml, cups, tablespoons) and counts (each, dozen, pieces)', () => {
    const merged = mergeComponents([
      list({
        components: [
          { name: 'milk', quantity: 250, unit: 'ml' },
          { name: 'eggs', quantity: 2, unit: 'pieces' },
        ],
      }),
      list({
        components: [
          { name: 'milk', quantity: 1, unit: 'cup' },
          { name: 'eggs', quantity: 1, unit: 'dozen' },
          { name: 'milk', quantity: 2, unit: 'tbsp' },
        ],
      }),
    ]);
    const milk = merged.components.find((c) => c.name === 'milk');
    const eggs = merged.components.find((c) => c.name === 'eggs');
    assert.equal(milk?.unit, 'ml');
    assert.ok(Math.abs((milk?.quantity ?? 0) - (250 + 236.588238 + 2 * 14.78676478125)) < 1e-6, String(milk?.quantity));
    assert.deepEqual([eggs?.quantity, eggs?.unit], [14, 'pieces']);
  });

  it('does NOT add mass to volume unless the component states its density', () => {
    const without = mergeComponents([list({ components: [{ name: 'flour', quantity: 300, unit: 'g' }] }), list({ components: [{ name: 'flour', quantity: 1, unit: 'cup' }] })]);
    assert.deepEqual(byName(without), [
      ['flour', 300, 'g'],
      ['flour', 1, 'cup'],
    ]);
    const withDensity = mergeComponents([
      list({ components: [{ name: 'flour', quantity: 300, unit: 'g', density: '0.53 g/ml' }] }),
      list({ components: [{ name: 'flour', quantity: 1, unit: 'cup' }] }),
    ]);
    assert.equal(withDensity.components.length, 1);
    assert.ok(Math.abs((withDensity.components[0]?.quantity ?? 0) - (300 + 236.588238 * 0.53)) < 1e-6);
    assert.equal(convertQuantity(1, 'cup', 'g'), null);
    assert.equal(convertQuantity(1, 'cup', 'g', 'not a density'), null);
    assert.equal(convertQuantity(1, 'cup', 'g', '5 kg'), null, 'a mass is not a density');
  });

  it('adds opaque words only to the same word, and never across kinds', () => {
    const merged = mergeComponents([
      list({
        components: [
          { name: 'garlic', quantity: 2, unit: 'clove' },
          { name: 'salt', quantity: 1, unit: 'pinch' },
        ],
      }),
      list({
        components: [
          { name: 'garlic', quantity: 1, unit: 'clove' },
          { name: 'salt', quantity: 5, unit: 'g' },
        ],
      }),
    ]);
    assert.deepEqual(byName(merged), [
      ['garlic', 3, 'clove'],
      ['salt', 1, 'pinch'],
      ['salt', 5, 'g'],
    ]);
    assert.equal(unitKind('pinch'), null, 'js-quantities would read "pinch" as a length; it must stay an opaque word');
    assert.equal(convertQuantity(1, 'm', 'g'), null);
  });

  it('a merged component is optional only if optional everywhere; alternatives are united', () => {
    const merged = mergeComponents([
      list({ components: [{ name: 'butter', quantity: 50, unit: 'g', optional: true, alternatives: ['margarine'] }] }),
      list({ components: [{ name: 'Butter', quantity: 25, unit: 'g', alternatives: ['Margarine', 'ghee'] }] }),
    ]);
    assert.deepEqual(merged.components[0], { name: 'butter', quantity: 75, unit: 'g', optional: false, alternatives: ['margarine', 'ghee'] });
  });
});

describe('coord components: servings, unticking and quantity changes', () => {
  const pancakes = list({
    servings: 4,
    components: [
      { name: 'flour', quantity: 250, unit: 'g' },
      { name: 'eggs', quantity: 2, unit: 'each' },
      { name: 'milk', quantity: 500, unit: 'ml' },
      { name: 'lemon', quantity: 1, unit: 'each', optional: true },
    ],
  });

  it('scales every quantity by servings', () => {
    assert.deepEqual(byName(scaleForServings(pancakes, 6)), [
      ['flour', 375, 'g'],
      ['eggs', 3, 'each'],
      ['milk', 750, 'ml'],
      ['lemon', 1.5, 'each'],
    ]);
    assert.throws(() => scaleForServings(pancakes, 0), /servings/);
    assert.throws(() => scaleForServings(pancakes, 1.5), /servings/);
  });

  it('unticks and changes quantities by name; an unknown name or a bad quantity is refused and changes nothing', () => {
    const picked = pickComponents(pancakes, { untick: ['Lemon', 'milk'], quantities: { EGGS: 3 } });
    assert.deepEqual(byName(picked), [
      ['flour', 250, 'g'],
      ['eggs', 3, 'each'],
    ]);
    assert.throws(() => pickComponents(pancakes, { untick: ['sugar'] }), /no component "sugar"/);
    assert.throws(() => pickComponents(pancakes, { quantities: { flour: 0 } }), /positive/);
    assert.throws(() => pickComponents(pancakes, { quantities: { flour: Number.NaN } }), /positive/);
    assert.equal(pancakes.components.length, 4, 'the list itself is untouched');
  });

  it('refuses a component list that is not well formed (front matter, forms)', () => {
    assert.throws(() => list({ components: [] }));
    assert.throws(() => list({ components: [{ name: 'flour', quantity: -1, unit: 'g' }] }));
    assert.throws(() => list({ components: [{ name: '', quantity: 1, unit: 'g' }] }));
    assert.throws(() => list({ components: [{ name: 'flour', quantity: 1, unit: 'g', colour: 'white' } as never] }), /colour|Unrecognized/);
  });
});

describe('coord components: several providers list the same job (claims 8, 24)', () => {
  it('scales each list to the servings, takes the largest quantity, marks what not everyone lists as optional', () => {
    const r = reconcileProviderLists(
      [
        {
          provider: 'north',
          list: list({
            servings: 2,
            components: [
              { name: 'flour', quantity: 125, unit: 'g' },
              { name: 'eggs', quantity: 1, unit: 'each' },
            ],
          }),
        },
        {
          provider: 'south',
          list: list({
            servings: 4,
            components: [
              { name: 'Flour', quantity: 0.3, unit: 'kg' },
              { name: 'eggs', quantity: 2, unit: 'each' },
              { name: 'sugar', quantity: 20, unit: 'g' },
            ],
          }),
        },
      ],
      4,
    );
    assert.deepEqual(
      r.components.map((c) => [c.name, c.quantity, c.unit, c.optional, c.sources]),
      [
        ['flour', 300, 'g', false, ['north', 'south']],
        ['eggs', 2, 'each', false, ['north', 'south']],
        ['sugar', 20, 'g', true, ['south']],
      ],
    );
  });
});
