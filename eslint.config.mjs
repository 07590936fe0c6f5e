// ESLint (flat config): typescript-eslint's recommended rules over the TypeScript and the
// dashboard's JavaScript. The layers are held by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'coverage/**', 'lib/models/gbm/kernels-wasm.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused values are mistakes, except the `_name` that says so.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `declare namespace` describes a global API the compiler's lib lacks (WebAssembly); no runtime namespaces.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Lazy loads: a kind's code (TensorFlow.js is heavy), an optional backend, a dev-only compiler,
    // a load generator; `require` keeps them off the path of nodes that never use them.
    files: ['lib/models/kinds.ts', 'lib/models/tf/backend.ts', 'lib/jobs/modes/average.ts', 'bin/build-wasm.ts', 'bench/lib/load.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests and benchmarks assert on, or print, shapes of untyped answers.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'fixtures/cluster.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The dashboard: browser modules.
    files: ['public/**/*.js'],
    languageOptions: {
      globals: {
        Event: 'readonly',
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        sessionStorage: 'readonly',
        XMLHttpRequest: 'readonly',
        FormData: 'readonly',
        Node: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        Blob: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        confirm: 'readonly',
        alert: 'readonly',
        location: 'readonly',
        navigator: 'readonly',
        performance: 'readonly',
        requestAnimationFrame: 'readonly',
      },
    },
  },
  {
    // Node scripts in CommonJS (configs, jest).
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
