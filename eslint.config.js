// Type-aware lint (docs/conventions.md): no-floating-promises matters in streaming code, and the data plane
// must never import the database layer (it is stateless and lives on the snapshot, docs/architecture.md "Processes and ports").
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'web/**',
      'data/**',
      'test-artifacts/**',
      '**/dist/**',
      'eslint.config.js',
      'scripts/**/*.mjs',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.name='it'][callee.property.name='only'], CallExpression[callee.object.name='describe'][callee.property.name='only']",
          message: 'no .only in committed tests',
        },
        {
          selector:
            "CallExpression[callee.object.name='it'][callee.property.name='skip'], CallExpression[callee.object.name='describe'][callee.property.name='skip']",
          message: 'no skipped tests',
        },
      ],
    },
  },
  {
    // The data-plane role's entry: like the package, it may reach the queues' producer side only.
    files: ['packages/cli/src/commands/data-plane.ts', 'packages/jobs/src/producer.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@aisbf/jobs',
              message:
                'the data plane never loads the database layer (docs/architecture.md "Processes and ports"): use @aisbf/jobs/producer',
            },
          ],
          patterns: [
            {
              group: [
                '@aisbf/db',
                '@aisbf/db/*',
                '@aisbf/control-plane',
                'mysql2',
                'mysql2/*',
                'better-sqlite3',
                'kysely',
                './db-usage-sink',
                './usage-flush.processor',
                './create-workers',
              ],
              message:
                'the data plane is stateless: it never loads the database layer (docs/architecture.md "Processes and ports")',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/data-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@aisbf/db',
                '@aisbf/db/*',
                '@aisbf/control-plane',
                '@aisbf/jobs',
                'mysql2',
                'mysql2/*',
                'better-sqlite3',
                'kysely',
              ],
              message:
                'the data plane is stateless: it never touches the database (docs/architecture.md "Processes and ports")',
            },
          ],
        },
      ],
    },
  },
  {
    // core and the wire codecs are pure: time and randomness are parameters, no I/O.
    files: ['packages/core/src/**/*.ts', 'packages/dialects/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts', 'packages/dialects/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'net', 'http', 'crypto'], message: 'core and dialects are pure: no I/O' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core takes time as a parameter' },
        { object: 'Math', property: 'random', message: 'core takes randomness as a parameter' },
      ],
    },
  },
);
