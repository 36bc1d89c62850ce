// ESLint flat config (house style: shared/STYLE.md "Formatting and lint"). Formatting itself is Prettier's job
// (`npm run lint` runs both); nothing here overlaps with it.
import js from '@eslint/js';
import eslintComments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', '.azurite/', '.devnode/', 'coverage/', '.ci/node22/', '.scratch/', '.azure/'],
  },
  {
    linterOptions: {
      // A directive that no longer suppresses anything is an error, so disables do not outlive their reason.
      reportUnusedDisableDirectives: 'error',
    },
  },
  js.configs.recommended,
  eslintComments.recommended,
  {
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      eqeqeq: 'error',
      complexity: ['error', 10],
      // Every eslint-disable says why, on the same line: `// eslint-disable-next-line rule -- reason`.
      '@eslint-community/eslint-comments/require-description': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers in log lines, messages and URLs (counts, ports, durations) are most of the template literals here,
      // and a number's string form is never a surprise; other non-strings (undefined, null, objects) stay errors.
      // (The preset's other allow* options are restated: an options object replaces the preset's, not merges.)
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowAny: false,
          allowBoolean: false,
          allowNever: false,
          allowNullish: false,
          allowRegExp: false,
        },
      ],
      // `(x) => resolve(x)` and `() => server.close()` callbacks are an idiom whose (void) result nobody reads;
      // void expressions returned from block bodies or used inside other expressions stay errors.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Passing on a caught error or an AbortSignal's reason unchanged (both `unknown`/`any`) is what these
      // rejections do; the same allowance only-throw-error makes for `throw` by default.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // A leading underscore marks a binding that is unused on purpose (a property dropped by a rest pattern, a
      // parameter kept for its position), the same convention tsc's noUnusedLocals/noUnusedParameters follow.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Jest's asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining, ...) are typed as
      // returning `any` in @types/jest, and expected objects are built from them throughout the suite.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Test doubles implement async interfaces (queue handlers, senders, timer callbacks) and mostly answer at once.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript (the WebJob entry, the bench's memory probe, the Functions app fixtures, jest.config.js):
    // CommonJS run by Node, outside tsconfig, so linted without type information.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['eslint.config.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
);
