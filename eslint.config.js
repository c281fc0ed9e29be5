// ESLint flat config for Tieup (issue 11, point 7).
//
// Three jobs:
//   1. typescript-eslint, type-aware: above all no-floating-promises and no-misused-promises,
//      the two rules an async server lives or dies by.
//   2. The module design, enforced by eslint-plugin-boundaries: a capability imports the
//      ground floor and other capabilities' public index.ts only. The rules are written over
//      folder NAMES captured from the path, so adding a capability folder needs no edit here.
//   3. eslint-config-prettier last: formatting belongs to Prettier, not to ESLint.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The ground floor: the only folders under common/ that are NOT a capability's shared part.
// Every other folder common/<cap>/ is the shared part of capability <cap>.
// Adding a ground-floor folder is a design decision, so it is the one thing listed by hand.
const GROUND_FOLDERS = ['http', 'keys', 's2s', 'protocol', 'store', 'logchain', 'release', 'render', 'web', 'site', 'cli', 'contract'];

const SITE = '{main-site,partner-site}';

// Selectors used by the policies below. `{{ from.element.captured.x }}` is filled in with the
// value captured from the importing file's path, which is how "the same capability" and
// "the same site" are expressed without naming any capability.
const ground = { element: { type: 'ground' } };
const sharedIndexOfAnyCap = { element: { type: 'shared', fileInternalPath: 'index.ts' } };
const sharedOfSameCap = { element: { type: 'shared', captured: { cap: '{{ from.element.captured.cap }}' } } };
const capIndexOfSameSite = { element: { type: 'capability', fileInternalPath: 'index.ts', captured: { site: '{{ from.element.captured.site }}' } } };

// What the importer reached into, for the messages.
const TARGET = '"{{ dependency.source }}" ({{#if to.element.path}}{{ to.element.path }}/{{ to.element.fileInternalPath }}, {{ to.element.types.[0] }}{{else}}not resolved to a known file{{/if}})';

/**
 * Two policies per kind of importer. Policies are last-match-wins: the first refuses every
 * local import with a message written for that kind of importer, the second allows what the
 * design allows. (Imports inside one element, i.e. within one capability folder, are never
 * checked; packages and node: builtins are not checked either.)
 */
function layer(type, allowed, message) {
  const from = { element: { type } };
  return [
    { from, disallow: { to: { module: { origin: 'local' } } }, message },
    { from, allow: { to: allowed } },
  ];
}

export default defineConfig(
  {
    // Build output and local state. (.ejs views and .sql migrations are not JS: never linted.)
    ignores: ['dist/', 'node_modules/', 'test-output/', 'data/', 'keys/'],
  },

  js.configs.recommended,

  // ---- TypeScript, type-aware ---------------------------------------------------------------
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The two rules this whole section exists for. A promise nobody awaits or catches is an
      // unhandled rejection, which kills a Node 20 process.
      '@typescript-eslint/no-floating-promises': 'error',
      // Kept at full strength, checksVoidReturn included. An async express route handler is not
      // a misuse: express 5 awaits a handler's promise and sends a rejection to the error
      // middleware, and @types/express 5 says so (RequestHandler returns `unknown`, not `void`),
      // so the rule already accepts `app.get(path, async (req, res) => ...)` without an exception.
      // What it still refuses is an async callback where the caller drops the promise:
      // setTimeout/setInterval, EventEmitter.on, stream/server callbacks, forEach, cron jobs.
      // Those rejections reach nobody, so there we want an error, not an opt-out.
      '@typescript-eslint/no-misused-promises': 'error',

      // String(x) where x is `unknown` narrowed to `{}` (form fields, error details, CSV cells).
      // None of the findings on the tree is a bug: a warning that points at an unvalidated
      // value is what we want, not a gate.
      '@typescript-eslint/no-base-to-string': 'warn',
      // ESLint 10's recommended dead-store rule fires on defensive initial values
      // (`let ok = false` before an if/else that assigns) and on a running total updated after
      // its last read (fees engine: `discounted += d`), where removing the store would break
      // the next step added below it. No finding on the tree is a bug; off.
      'no-useless-assignment': 'off',
      // `async` without `await` is deliberate here: it turns a throw into a rejection and
      // satisfies Promise-returning interfaces (the shop backends, mocha callbacks).
      '@typescript-eslint/require-await': 'off',
      // `${x}` of a `never` is the exhaustive-check idiom (report the impossible value);
      // URLSearchParams stringifies to a query string (it is allowed by default only from the
      // DOM lib; here it comes from @types/node).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowAny: true,
          allowBoolean: true,
          allowNullish: true,
          allowNumber: true,
          allowRegExp: true,
          allowNever: true,
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],

      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },

  // ---- Tests: supertest's res.body and the helpers' JSON bodies are `any` by design (each
  // such `any` says so in a comment), and reading them is the test. Production code has no
  // no-unsafe-* or no-explicit-any finding today and keeps them as errors.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests take method references on purpose, to wrap or monkeypatch them (S2SClient.prototype.callPeer).
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },

  // ---- Plain JS (this file, test/run-tests.mjs, test/setup/*.mjs): Node scripts, no types ----
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  // ---- Scripts the browser runs (console and shop assets) ----
  {
    files: ['common/web/assets/**/*.js', 'templates/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },

  // ---- Module boundaries ---------------------------------------------------------------------
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      // NodeNext sources import './x.js' meaning './x.ts'; the TypeScript resolver knows that.
      // Without it every local import would be "unresolved" and escape the rule.
      'import/resolver': { typescript: { project: `${import.meta.dirname}/tsconfig.json` }, node: true },
      'boundaries/root-path': import.meta.dirname,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      // First matching descriptor wins at each path level: the ground-floor list is tried
      // before the catch-all common/<cap>. A file belongs to the deepest element matching it.
      'boundaries/elements-single-match': true,
      'boundaries/elements': [
        { type: 'ground', pattern: `common/{${GROUND_FOLDERS.join(',')}}`, partialMatch: false },
        { type: 'shared', pattern: 'common/*', capture: ['cap'], partialMatch: false },
        // common/*.ts: files directly in common/ belong to the element `common` itself.
        { type: 'ground', pattern: 'common', partialMatch: false },
        { type: 'capability', pattern: `${SITE}/*`, capture: ['site', 'cap'], partialMatch: false },
        // <site>/*.ts: the composition root (server.ts, app.ts) is the site folder itself, so
        // its files import each other freely; a file in <site>/<cap>/ belongs to the capability.
        { type: 'root', pattern: SITE, capture: ['site'], partialMatch: false },
        { type: 'tool', pattern: '{cli,bench,test}', partialMatch: false },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          // A local import that resolves to no known element is refused too: if the resolver
          // ever breaks, imports fail loudly instead of silently escaping the rule.
          checkUnknownLocals: true,
          policies: [
            ...layer(
              'ground',
              ground,
              'Ground floor {{ from.element.path }} may not import ' +
                TARGET +
                `. The ground floor (common/*.ts, common/{${GROUND_FOLDERS.join(',')}}) imports only the ground floor: move what it needs down, or let the capability pass it in.`,
            ),
            ...layer(
              'shared',
              [ground, sharedIndexOfAnyCap],
              'common/{{ from.element.captured.cap }} may not import ' +
                TARGET +
                ". Shared capability code imports the ground floor, and another capability's shared part only through common/<cap>/index.ts.",
            ),
            ...layer(
              'capability',
              [ground, sharedOfSameCap, sharedIndexOfAnyCap, capIndexOfSameSite],
              '{{ from.element.path }} may not import ' +
                TARGET +
                ". A capability imports the ground floor, its own common/{{ from.element.captured.cap }}/, another capability of {{ from.element.captured.site }} only through its index.ts, another capability's shared part only through common/<cap>/index.ts; main-site and partner-site never import each other.",
            ),
            ...layer(
              'root',
              [ground, capIndexOfSameSite, sharedIndexOfAnyCap],
              'Composition root {{ from.element.path }}/{{ from.element.fileInternalPath }} may not import ' +
                TARGET +
                ". It imports the ground floor and capabilities' public index.ts only ({{ from.element.captured.site }}/<cap>/index.ts, common/<cap>/index.ts).",
            ),
            // Tools (cli, bench, test) may import anything.
            { from: { element: { type: 'tool' } }, allow: { to: { module: { origin: 'local' } } } },
          ],
        },
      ],
    },
  },

  // Must stay last: turns off every stylistic rule that would fight Prettier.
  prettier,
);
