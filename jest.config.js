/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // The chart's tests (charts/airlock/test) need helm and run from scripts/test-chart.sh.
  roots: ['<rootDir>/services'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  injectGlobals: false,
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'node'],
  // './x.js' in TS source resolves to x.ts
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@airlock/source'] },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
    ],
  },
  // ESM mode keeps each suite's module graph in the worker
  workerIdleMemoryLimit: '512MB',
  // Nearly every suite clones a database and starts servers in its hooks; jest's 5 s default
  // is exceeded on a loaded 2-core machine. A hang still fails, with the test's name.
  testTimeout: 30_000,
  coverageProvider: 'v8',
  collectCoverageFrom: ['services/*/src/**/*.ts', '!**/generated/**', '!services/*/src/main.ts'],
};
