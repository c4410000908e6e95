// Test kit shared by every service's tests (not part of the runtime build): throwaway
// servers, the shared Postgres and Redis, module deps and apps, and test data.
export * from './deps.js';
export * from './factories.js';
export * from './logger.js';
export * from './module-app.js';
export * from './processes.js';
export * from './shared-services.js';
export * from './routes.js';
export * from './sql-statements.js';
