import assert from 'node:assert/strict';
import { EMPTY_ROOT, MerkleTree, leafHash, verifyConsistency, verifyInclusion } from '../common/logchain/merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

// RFC 6962 reference data, as published with Certificate Transparency's test suites.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => leafHash(unhex(h)));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: [number, number, string[]][] = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];
const CONSISTENCY: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];

describe('Merkle tree (RFC 6962 / RFC 9162)', () => {
  const tree = new MerkleTree(LEAVES);

  it('matches the reference roots for sizes 0 to 8', () => {
    assert.equal(hex(tree.root(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (let n = 1; n <= 8; n++) assert.equal(hex(tree.root(n)), ROOTS[n - 1], `size ${n}`);
  });

  it('produces and verifies the reference inclusion proofs', () => {
    for (const [i, n, proof] of INCLUSION) {
      assert.deepEqual(tree.inclusionProof(i, n).map(hex), proof);
      assert.ok(verifyInclusion(LEAVES[i]!, i, n, proof.map(unhex), unhex(ROOTS[n - 1]!)));
    }
  });

  it('produces and verifies the reference consistency proofs', () => {
    for (const [m, n, proof] of CONSISTENCY) {
      assert.deepEqual(tree.consistencyProof(m, n).map(hex), proof, `${m} -> ${n}`);
      assert.ok(verifyConsistency(m, n, unhex(ROOTS[m - 1]!), unhex(ROOTS[n - 1]!), proof.map(unhex)));
    }
  });

  const big = new MerkleTree(Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`entry ${i}`))));

  it('verifies every inclusion and consistency proof for all sizes up to 70, each at most ceil(log2 n) (+1) hashes', () => {
    for (let n = 1; n <= 70; n++) {
      const root = big.root(n);
      const bound = Math.ceil(Math.log2(n));
      for (let i = 0; i < n; i++) {
        const p = big.inclusionProof(i, n);
        assert.ok(p.length <= bound);
        assert.ok(verifyInclusion(big.leaf(i), i, n, p, root), `inclusion ${i}/${n}`);
      }
      for (let m = 0; m <= n; m++) {
        const p = big.consistencyProof(m, n);
        assert.ok(p.length <= bound + 1);
        assert.ok(verifyConsistency(m, n, big.root(m), root, p), `consistency ${m}->${n}`);
      }
    }
  });

  it('refuses altered, reordered, shortened or lengthened proofs, and wrong roots or indexes', () => {
    for (let n = 2; n <= 40; n++) {
      const root = big.root(n);
      for (let i = 0; i < n; i++) {
        const p = big.inclusionProof(i, n);
        const flipped = p.map((b) => Buffer.from(b));
        flipped[0]![3]! ^= 1;
        assert.equal(verifyInclusion(big.leaf(i), i, n, flipped, root), false);
        assert.equal(verifyInclusion(big.leaf(i), i, n, p.slice(1), root), false);
        assert.equal(verifyInclusion(big.leaf(i), i, n, [...p, EMPTY_ROOT], root), false);
        assert.equal(verifyInclusion(big.leaf(i), (i + 1) % n, n, p, root), false);
        assert.equal(verifyInclusion(big.leaf(i), i, n, p, big.root(n - 1)), false);
        if (p.length > 1 && !p[0]!.equals(p[1]!)) assert.equal(verifyInclusion(big.leaf(i), i, n, [p[1]!, p[0]!, ...p.slice(2)], root), false);
      }
      for (let m = 1; m < n; m++) {
        const p = big.consistencyProof(m, n);
        const flipped = p.map((b) => Buffer.from(b));
        flipped[p.length - 1]![0]! ^= 0x80;
        assert.equal(verifyConsistency(m, n, big.root(m), root, flipped), false);
        assert.equal(verifyConsistency(m, n, big.root(m), root, p.slice(0, -1)), false);
        assert.equal(verifyConsistency(m, n, big.root(m), root, [...p, EMPTY_ROOT]), false);
        assert.equal(verifyConsistency(m, n, big.root(m - 1), root, p), false);
      }
    }
    assert.equal(verifyConsistency(4, 4, big.root(4), big.root(5), []), false);
    assert.equal(verifyConsistency(0, 8, EMPTY_ROOT, big.root(8), []), true);
    assert.equal(verifyInclusion(Buffer.alloc(31), 0, 8, [], big.root(8)), false);
    assert.throws(() => big.inclusionProof(70, 70), RangeError);
    assert.throws(() => big.consistencyProof(5, 3), RangeError);
  });
});
