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
  ...boundaries(),
  {
    // Prettier breaks code at 110 columns but never a string, template or comment: keep the
    // product's long messages split (string concatenation) so no line runs past 140.
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    rules: { 'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);

/**
 * Import boundaries, one block per area (flat config replaces a rule per block, so each area
 * lists all of its patterns): nothing outside test/ imports test/; the core imports no target
 * library and no function or tool; functions never import each other or a tool; tools and
 * infra never import test/.
 */
function boundaries() {
  const noTests = { group: ['**/test/**'], message: 'Nothing outside test/ imports from test/.' };
  const noTools = { group: ['**/scripts/**'], message: 'The product never imports a tool from scripts/.' };
  const noFunctions = (others) => ({
    group: others.map((k) => `**/${k}/**`),
    message: 'Functions never import each other.',
  });
  const block = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  return [
    block(['scripts/**/*.ts', 'scripts/**/*.mjs', 'infra/**/*.ts'], [noTests]),
    block(
      ['shared/**/*.ts'],
      [
        {
          group: TARGET_LIBRARIES,
          message: 'shared/ is the rotation core: it must not import database, Redis or JWT libraries.',
        },
        { group: ['**/functions/**', '../functions/*'], message: 'shared/ must not import from functions/.' },
        noTools,
        noTests,
      ],
    ),
    block(['functions/jwt/**/*.ts'], [noFunctions(['postgres', 'redis']), noTools, noTests]),
    block(['functions/postgres/**/*.ts'], [noFunctions(['jwt', 'redis']), noTools, noTests]),
    block(['functions/redis/**/*.ts'], [noFunctions(['jwt', 'postgres']), noTools, noTests]),
  ];
}
