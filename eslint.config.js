// Lint rules for the whole tree: eslint's and typescript-eslint's recommended sets.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      '**/node_modules/',
      'examples/*/.astro/',
      'examples/*/.svelte-kit/',
      'examples/*/.next/',
      'examples/*/.output/',
      'examples/*/.tanstack/',
      'examples/*/build/',
      'examples/tanstack-start/src/routeTree.gen.ts',
      'examples/*/next-env.d.ts',
      'data/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // TypeScript checks names itself, and knows the globals of each runtime.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Security code matches control characters on purpose (cookie values, redirects, user agents).
      'no-control-regex': 'off',
      // Framework types are extended by declaration merging: `interface Locals extends X {}`,
      // `declare global { namespace Express { ... } }`.
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    // Tests read JSON bodies of any shape, and type tests reference framework declarations.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/triple-slash-reference': 'off',
    },
  },
)
