import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Log lines are redacted field by field (services/common/src/log-redaction.ts); a value
// interpolated into the message (`logger.info('… %o', x)`) would bypass that, so log calls
// take no printf placeholders. Listed in every config that sets no-restricted-syntax (a later
// setting replaces an earlier one).
const logPlaceholders = [
  {
    selector:
      'CallExpression[callee.property.name=/^(trace|debug|info|warn|error|fatal)$/] > Literal[value=/%[sdifjoOc]/]',
    message: 'no printf placeholders in log messages: pass the values as fields (they are redacted)',
  },
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.data/**', '.tools/**', 'coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['services/*/src/**/*.{ts,tsx}', 'scripts/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...logPlaceholders] },
  },
  // The inner shape of a service (docs/architecture.md): domain/ holds rules, so it takes no
  // HTTP framework and no database or Redis client (store/ has those); and a service never
  // imports another service (what several need lives in @airlock/common). Only
  // services/server, the composition root, imports the services.
  {
    files: ['services/{identity,rbac,gateway,audit}/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['express', '@prisma/client', 'pg', 'ioredis'].map((name) => ({
            name,
            message: 'domain/ has no HTTP or database client: take the values or a store function instead',
          })),
          patterns: [
            { group: ['**/generated/prisma/**'], message: 'domain/ does not use Prisma: go through store/' },
            {
              group: ['@airlock/identity', '@airlock/rbac', '@airlock/gateway', '@airlock/audit'],
              message: 'a service does not import another service: share it through @airlock/common',
            },
          ],
        },
      ],
    },
  },
  // routes/ do HTTP: they call store/ and domain/ functions (handing them the database
  // handle) but never query it themselves, and never use Prisma's generated client.
  {
    files: ['services/{identity,rbac,gateway,audit}/src/routes/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...logPlaceholders,
        ...["MemberExpression[object.property.name='db']", "MemberExpression[object.name='db']"].map(
          (selector) => ({ selector, message: 'routes/ do not query: call a store/ function' }),
        ),
      ],
    },
  },
  {
    files: ['services/{common,identity,rbac,gateway,audit}/src/**/*.ts'],
    ignores: ['services/*/src/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@airlock/identity', '@airlock/rbac', '@airlock/gateway', '@airlock/audit'],
              message: 'a service does not import another service: share it through @airlock/common',
            },
          ],
        },
      ],
    },
  },
);
