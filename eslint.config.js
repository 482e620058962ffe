// Lint rules. The core (`shared/`) must stay ignorant of databases, caches and JWT
// libraries: that boundary is enforced here, not by memory.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const TARGET_LIBRARIES = [
  'pg',
  'pg-*',
  'ioredis',
  'redis',
  '@redis/*',
  'jose',
  '@aws-sdk/client-rds',
  '@aws-sdk/client-elasticache',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
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
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'Use an `as const` object and a derived union instead of enum.',
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: TARGET_LIBRARIES,
              message: 'shared/ is the rotation core: it must not import database, Redis or JWT libraries.',
            },
            {
              group: ['**/functions/**', '../functions/*'],
              message: 'shared/ must not import from functions/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['functions/jwt/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/postgres/**', '**/redis/**'], message: 'Functions never import each other.' },
          ],
        },
      ],
    },
  },
  {
    files: ['functions/postgres/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/jwt/**', '**/redis/**'], message: 'Functions never import each other.' }],
        },
      ],
    },
  },
  {
    files: ['functions/redis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/jwt/**', '**/postgres/**'], message: 'Functions never import each other.' },
          ],
        },
      ],
    },
  },
);
