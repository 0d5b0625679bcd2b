// Lint rules of the workspace (`pnpm lint`): typescript-eslint's recommended set, plus the house
// rules of ../shared/STYLE.md that a machine can check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: {
      // One privacy style: #fields, enforced by the runtime, not TypeScript's `private`.
      'no-restricted-syntax': [
        'error',
        { selector: "PropertyDefinition[accessibility='private']", message: 'use a #private field' },
        {
          selector: "MethodDefinition[accessibility='private'][kind!='constructor']",
          message: 'use a #private method',
        },
        { selector: "TSParameterProperty[accessibility='private']", message: 'use a #private field' },
      ],
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Plain JavaScript of the benchmarks and fixtures: no TypeScript-only rules apply.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's browser modules: browser globals only, and data never parsed as HTML
    // (backend ids and URLs come from the registry, which anyone with access to Redis writes).
    files: ['packages/balancer/src/admin/dashboard/assets/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        EventSource: 'readonly',
        HTMLElement: 'readonly',
        SVGElement: 'readonly',
        SVGSVGElement: 'readonly',
        Element: 'readonly',
        Node: 'readonly',
        Date: 'readonly',
        process: 'off',
        Buffer: 'off',
        setImmediate: 'off',
      },
    },
    rules: {
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'use textContent or createElement' },
        { property: 'outerHTML', message: 'use textContent or createElement' },
        { property: 'insertAdjacentHTML', message: 'use createElement' },
        { object: 'document', property: 'write', message: 'use createElement' },
      ],
    },
  },
);
