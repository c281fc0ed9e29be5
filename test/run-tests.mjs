// Runs the compiled mocha suites and ends with the one line CI reads: "N passed, N failed".
import Mocha from 'mocha';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const grep = process.env.TEST_GREP;

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const mocha = new Mocha({ timeout: 30000, reporter: 'spec', ...(grep ? { grep } : {}) });
for (const f of collect(root)) mocha.addFile(f);
await mocha.loadFilesAsync();
let passed = 0;
let failed = 0;
const runner = mocha.run((failures) => {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failures > 0 || passed === 0 ? 1 : 0);
});
runner.on('pass', () => passed++);
runner.on('fail', () => failed++);
